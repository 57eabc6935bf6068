"""Identity and access: users, roles, org scopes, sessions, API tokens, MFA, lifecycle."""

from iocvn.auth import messages as _messages  # registers the domain's texts

__all__: list[str] = []
