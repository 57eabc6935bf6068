"""Identity and access: users, roles, org scopes, sessions, API tokens, MFA, lifecycle."""

from iocvn.auth import messages  # noqa: F401  (registers the domain's texts)
