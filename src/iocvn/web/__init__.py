"""The web shell: base templates, static assets, navigation, operations endpoints."""

from iocvn.web import messages as _messages  # registers the shell's texts

__all__: list[str] = []
