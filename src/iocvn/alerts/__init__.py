"""One alerting engine (issue #5): rules, the evaluation state machine, silences,
acknowledgement, escalation, notifications, and public warnings in OASIS CAP 1.2."""
