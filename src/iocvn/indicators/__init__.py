"""Indicators (bộ chỉ số): catalogue, targets, data values, aggregation, completeness."""
