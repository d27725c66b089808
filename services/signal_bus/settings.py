from typing import ClassVar, Literal

from pydantic import Field, SecretStr

from services.mesh.settings import ServiceSettings

DAY_SECONDS = 86_400


class SignalBusSettings(ServiceSettings):
    """The signal bus service's settings (`ALPHINTRA_SIGNAL_BUS__*`)."""

    service_name: ClassVar[str] = "signal_bus"

    # where the topics live: Redis Streams (REDIS_URL, the embedded default) or NATS JetStream
    log_engine: Literal["redis", "nats"] = "redis"
    # comma-separated nats:// URLs of the JetStream cluster (log_engine=nats)
    nats_urls: str = ""
    # JetStream replicas of each topic's stream (1 for a single server, 3 for a cluster)
    nats_replicas: int = Field(1, ge=1, le=5)
    # a history or webhook batch a process took but did not acknowledge (it died) goes to
    # another process after this long
    nats_ack_wait_seconds: float = Field(30.0, gt=0.0, le=3600.0)
    # every key, stream and subject the bus uses starts with this (tests use a random one)
    topic_prefix: str = Field("alphintra", pattern=r"^[A-Za-z0-9_-]{1,64}$")
    # a signal or bar is kept this long and within this many entries per topic, whichever is less;
    # signal_ids are remembered for idempotency as long
    retention_seconds: int = Field(7 * DAY_SECONDS, ge=1)
    retention_max_entries: int = Field(10_000_000, ge=100)
    # an idle subscription gets an empty batch this often (proxies keep it open, offsets advance)
    heartbeat_seconds: float = Field(15.0, gt=0.0, le=3600.0)
    # recent records each bus process keeps for its live subscribers; one that falls further
    # behind reads from the log until it catches up
    fanout_capacity: int = Field(50_000, ge=100)
    # most entries written to the log in one durable write. The writer is greedy (an idle bus writes
    # a lone signal at once), so this only bounds a write under load; there, each write's fixed cost
    # (a round trip, an fsync, a turn of the event loop) is shared by more signals: on 2 cores 2,000
    # gave about 33k acknowledged signals/s and 8,000 about 45-58k
    publish_batch_max: int = Field(8_000, ge=1, le=100_000)
    # most signals the history writer inserts into PostgreSQL at once
    history_batch_max: int = Field(2_000, ge=1, le=100_000)
    # webhooks: http:// and private addresses are refused unless allowed (local runs and tests)
    webhook_allow_private_urls: bool = False
    webhook_quota: int = Field(25, ge=0, le=10_000)
    # the first retry waits about this long, each next one twice as long (capped at 10 minutes)
    webhook_backoff_base_seconds: float = Field(1.0, gt=0.0, le=600.0)
    # POSTs in flight at once per bus process
    webhook_concurrency: int = Field(32, ge=1, le=1_000)
    # paper trading: the bar timeframe an account follows a symbol at when the signal names none
    # (metadata "timeframe"), fixed per account at its creation; a `Timeframe` name without prefix
    paper_timeframe: str = Field(
        "1_MINUTE", pattern=r"^(1_MINUTE|5_MINUTES|15_MINUTES|30_MINUTES|1_HOUR|4_HOURS|1_DAY|1_WEEK)$"
    )
    # the paper consumer looks for new accounts and other processes' progress at least this often
    paper_poll_seconds: float = Field(1.0, gt=0.0, le=60.0)
    # signals and bars (per symbol) one account takes in one transaction
    paper_batch_max: int = Field(500, ge=1, le=100_000)
    paper_account_quota: int = Field(25, ge=0, le=10_000)
    # webhook signing secrets are sealed at rest with AES-256-GCM under these keys: "id:base64key,..."
    # (32-byte keys); new secrets use webhook_secret_key_id (default: the first); unset stores plaintext
    webhook_secret_keys: SecretStr | None = None
    webhook_secret_key_id: str = Field("", pattern=r"^[A-Za-z0-9_-]{0,32}$")
