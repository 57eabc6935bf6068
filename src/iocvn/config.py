"""Settings: the one place that reads the environment (``IOCVN_*`` variables and ``.env``).

Every setting is documented in ``docs/configuration.md``; a test checks that. Nothing else in
iocvn reads ``os.environ``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Runtime configuration of one iocvn installation."""

    model_config = SettingsConfigDict(
        env_prefix="IOCVN_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    database_url: str = Field(
        default="sqlite:///./iocvn.db",
        description="SQLAlchemy URL: sqlite:///./iocvn.db or postgresql+psycopg://user@host/db.",
    )
    secret_key: str = Field(
        default="",
        description="Secret for session and CSRF tokens; `iocvn init` writes one into .env.",
    )
    data_keys: str = Field(
        default="",
        description="Comma-separated Fernet keys encrypting personal and secret fields; "
        "the first encrypts, all decrypt (key rotation). `iocvn init` writes one into .env.",
    )
    host: str = Field(default="127.0.0.1", description="Address `iocvn serve` listens on.")
    port: int = Field(default=8000, description="Port `iocvn serve` listens on.")
    session_hours: int = Field(default=12, description="A web session ends after this many hours.")
    session_idle_minutes: int = Field(
        default=60, description="A web session ends after this many minutes without a request."
    )
    max_failed_logins: int = Field(default=5, description="Failed logins before the lock.")
    lockout_minutes: int = Field(default=15, description="How long the automatic lock lasts.")
    password_min_length: int = Field(default=12, description="Shortest password accepted.")
    # A report may carry 5 photos of 8 MiB each (feedback.photos: MAX_PHOTOS, MAX_BYTES) on the
    # public form, the staff API and Open311, plus its text fields and the multipart framing:
    # 1 MiB of room. Below that, a citizen's allowed photos would be refused as a whole.
    max_body_bytes: int = Field(
        default=5 * 8 * 1024 * 1024 + 1024 * 1024,
        description="Largest request body accepted (bytes): a report with 5 photos of 8 MiB.",
    )
    secure_cookies: bool | None = Field(
        default=None,
        description="Force the Secure cookie flag on/off; by default on when the request "
        "came over HTTPS (directly or via X-Forwarded-Proto from a trusted proxy).",
    )
    trusted_proxies: str = Field(
        default="127.0.0.1",
        description="Comma-separated proxy addresses whose X-Forwarded-* headers are trusted.",
    )
    public_url: str = Field(
        default="http://127.0.0.1:8000",
        description="The address citizens and staff reach this server at (https://ioc.example."
        "gov.vn): the links in e-mails and SMS are built on it.",
    )
    tile_url: str = Field(
        default="",
        description="Base-map tile URL template ({z}/{x}/{y}); empty shows vector layers only.",
    )
    demo: bool = Field(
        default=False, description="Label the installation as a demo (set by `iocvn demo`)."
    )
    log_level: str = Field(default="INFO", description="Logging level (JSON logs on stderr).")
    db_writers: int = Field(
        default=2,
        ge=1,
        description="Requests of one server process that may write to PostgreSQL at once (the "
        "others wait their turn without holding a thread); SQLite always has one.",
    )
    pg_dump: str = Field(default="pg_dump", description="pg_dump executable for backups.")
    pg_restore: str = Field(default="pg_restore", description="pg_restore executable.")
    feedback_per_hour: int = Field(
        default=10,
        description="Citizen reports one source (an address, a token's user) may send per hour "
        "through the public form, Open311 or the webhook; more get HTTP 429.",
    )
    feedback_app_per_hour: int = Field(
        default=1000,
        description="Reports per hour an integration (Open311, the webhook) may send when it "
        "names no citizen (no device_id, account_id, reporter_ref, e-mail or phone); one that "
        "does is limited per citizen by IOCVN_FEEDBACK_PER_HOUR.",
    )
    feedback_retention_days: int = Field(
        default=730,
        description="Days after a case closes when its reporter's personal data is erased "
        "(`iocvn feedback erase-personal-data`, also run by `iocvn serve` daily).",
    )
    smtp_host: str = Field(
        default="", description="SMTP relay for e-mail notifications; empty: no e-mail channel."
    )
    smtp_port: int = Field(default=25, description="Port of the SMTP relay.")
    smtp_user: str = Field(default="", description="SMTP login; empty: no authentication.")
    smtp_password: str = Field(default="", description="SMTP password (with IOCVN_SMTP_USER).")
    smtp_from: str = Field(
        default="iocvn@localhost", description="Sender address of e-mail notifications."
    )
    smtp_starttls: bool = Field(
        default=False, description="Upgrade the SMTP connection with STARTTLS before logging in."
    )
    sms_url: str = Field(
        default="",
        description="HTTP(S) endpoint of the SMS gateway (JSON POST); empty: no SMS channel.",
    )
    sms_token: str = Field(
        default="", description="Sent to the SMS gateway as `Authorization: Bearer <token>`."
    )
    sms_sender: str = Field(
        default="", description="Sender name of SMS (the registered brandname), sent as `from`."
    )
    mqtt_url: str = Field(
        default="",
        description="MQTT broker of sensor readings (mqtt://user:password@host:1883); empty: "
        "`iocvn serve` does not subscribe (HTTP ingestion still works).",
    )
    mqtt_client_id: str = Field(
        default="iocvn-ingest",
        pattern=r"^[A-Za-z0-9._-]{1,64}$",
        description="MQTT client id of this server's consumer: stable, so the broker keeps "
        "its session (unacknowledged readings) across restarts; one per server node.",
    )
    mqtt_topic_prefix: str = Field(
        default="iocvn",
        pattern=r"^[A-Za-z0-9._-]{1,64}$",
        description="First level of the readings topics <prefix>/<device>/readings.",
    )
    mqtt_group: str = Field(
        default="iocvn",
        pattern=r"^[A-Za-z0-9._-]{0,64}$",
        description="Shared-subscription group of the consumers (each message goes to one of "
        "them); empty: a plain subscription.",
    )
    sms_timeout_s: float = Field(
        default=10.0, gt=0, description="Seconds to wait for the SMS gateway's answer."
    )
    webhook_secret: str = Field(
        default="",
        description="Shared secret of webhook notifications: each POST carries "
        "`X-Iocvn-Signature: sha256=<HMAC-SHA256 of the body>`; empty: no signature.",
    )
    webhook_timeout_s: float = Field(
        default=10.0, gt=0, description="Seconds to wait for a webhook's answer."
    )
    webhook_hosts: str = Field(
        default="",
        description="Comma-separated hosts webhook notifications may be sent to (`*`: any); "
        "empty: no webhook channel.",
    )
    alert_escalation: str = Field(
        default="commune:900,province:1800,leadership:0",
        pattern=r"^(commune|province|leadership):\d+(,(commune|province|leadership):\d+)*$",
        description="Escalation ladder of unacknowledged alerts, lowest rung first: "
        "`rung:seconds to acknowledge` (rungs: commune, province, leadership).",
    )
    notify_interval_seconds: int = Field(
        default=15,
        description="How often `iocvn serve` delivers due notifications (seconds); 0: never "
        "(run `iocvn notify deliver` instead).",
    )
    cap_sender: str = Field(
        default="",
        pattern=r"^([A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+)?$",
        description="CAP `sender` of public warnings (ioc@langson.gov.vn); its domain starts "
        "every message identifier. Empty: ioc@<province>.gov.vn from the province's name.",
    )
    cap_sender_name: str = Field(
        default="",
        max_length=200,
        description="CAP `senderName` of public warnings and the Atom feed's author. Empty: "
        "Trung tâm Điều hành thông minh <province>.",
    )

    @property
    def is_sqlite(self) -> bool:
        """True when the database is an embedded SQLite file."""
        return self.database_url.startswith("sqlite")

    def env_file_path(self) -> Path:
        """The ``.env`` file that `iocvn init` writes generated keys into."""
        return Path(".env")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (cached; tests call ``get_settings.cache_clear()``)."""
    return Settings()
