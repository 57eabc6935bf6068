"""The web shell: base templates, static assets, navigation, operations endpoints."""

from iocvn.web import messages  # noqa: F401  (registers the shell's texts)
