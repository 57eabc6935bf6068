"""Citizen feedback (phản ánh, kiến nghị): categories, text normalisation, category suggestion."""
