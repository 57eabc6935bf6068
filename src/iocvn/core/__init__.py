"""Core: the vocabulary every domain shares (errors, i18n, ids, time, the ORM base).

It imports no other iocvn package except ``iocvn.config``.
"""
