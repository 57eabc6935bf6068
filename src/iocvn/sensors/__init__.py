"""Sensors and cameras (issue #5, R22): devices, readings, MQTT and HTTP ingestion, rollups."""
