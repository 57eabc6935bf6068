"""Sensors and cameras (issue #5, R22): devices, readings, MQTT and HTTP ingestion, rollups."""

from iocvn.sensors import messages  # noqa: F401  (registers the domain's texts)
