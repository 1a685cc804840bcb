"""The RabbitMQ broker (``LTO_BROKER_URL=amqp://…``): the port's contract on quorum queues.

Layout (``declare``): a durable topic exchange for the domain events, a direct dead-letter
exchange, and per queue of the bindings a durable quorum queue whose rejected messages go to
its own dead-letter queue (``<queue>.dead``, routed by the queue's name). Quorum queues because
they replicate, keep a per-message delivery count (``x-delivery-count``, what makes
``Message.delivery_count`` exact where the classic ``redelivered`` flag only says "not the
first time") and enforce ``x-delivery-limit`` themselves, a backstop behind the adapter's own
limit. Their dead-lettering is at-most-once, which is enough: a dead letter is for a person
to inspect, and the outbox and the job table, not the DLQ, are what make the pipeline lose
nothing.

Threads: pika's ``BlockingConnection`` is not thread-safe and only sends heartbeats while a
pika call runs on its thread. So ``publish``, ``declare``, ``depth``, ``dead_letters`` and
``health`` share one connection behind a lock, and every ``consume`` call has a connection of
its own whose thread does nothing but pump I/O (``process_data_events``) while handlers run on
worker threads; a worker hands its outcome back with ``add_callback_threadsafe``, the only
thread-safe call pika has. A job of an hour therefore keeps its connection alive, but RabbitMQ
still closes a channel whose delivery stays unacknowledged past its ``consumer_timeout``
(30 minutes by default, a server setting): longer jobs need it raised, or a lease in the job
table instead of holding the delivery.

Failures: a lost connection makes ``publish`` raise ``BrokerUnavailable`` (the outbox tries
again later) and the next call connects anew; ``consume`` reconnects by itself with
exponential backoff until it is stopped, and what was in flight on the dead connection is
redelivered by the broker (consumers are idempotent). Error messages name the host, never the
password.
"""

from __future__ import annotations

import contextlib
import enum
import functools
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pika
import pika.exceptions
from pika.adapters.blocking_connection import BlockingChannel, BlockingConnection

from lto.capricorn.ports import (
    BINDINGS,
    DEAD_LETTER_EXCHANGE,
    DELIVERY_LIMIT,
    EXCHANGE,
    MAX_LENGTHS,
    Broker,
    BrokerError,
    BrokerUnavailable,
    Handler,
    Message,
    Poison,
    StopSignal,
    Unroutable,
    dead_letter_queue,
)

logger = logging.getLogger(__name__)

# Queues capped by default: notifications are for people looking now; when nobody reads them
# the oldest go (drop-head) rather than the broker filling its disk. Jobs are never dropped.

_TICK_S = 0.2  # how long the consumer's I/O loop waits at most before looking at ``stop``
_IDLE_S = 1.0  # ``on_idle`` period
_NOT_FOUND = 404
# Headers RabbitMQ writes itself; ``Message.headers`` carries the publisher's only, so a dead
# letter taken off its queue can be published again as it was first sent.
_BROKER_HEADERS = ("x-delivery-count", "x-death", "x-first-death-", "x-last-death-")


class _Outcome(enum.Enum):
    DONE = "done"
    POISON = "poison"
    FAILED = "failed"


class _Lost(Exception):
    """The consumer's channel went away without an AMQP error reaching us (broker-side
    cancel, channel closed): handled like a lost connection."""


class RabbitMqBroker(Broker):
    """The port on a RabbitMQ server (3.10 or later: quorum queues with delivery limits).

    ``namespace`` is prepended verbatim to every exchange and queue name on the server, while
    the methods keep taking the logical names of ``bindings``: tests use ``"test-<uuid>."``
    so that each has an exchange and queues of its own (``delete_declared`` removes them).
    ``connect_attempts`` and ``backoff`` bound how long ``publish`` and friends try before
    raising ``BrokerUnavailable`` (0.5 s, 1 s, …: a caller such as the outbox relay retries
    on its own schedule); ``consume`` retries without a bound, its delay doubling from
    ``backoff`` up to ``max_backoff``.
    """

    def __init__(
        self,
        url: str,
        *,
        bindings: Mapping[str, Sequence[str]] | None = None,
        namespace: str = "",
        delivery_limit: int = DELIVERY_LIMIT,
        max_lengths: Mapping[str, int] | None = None,
        heartbeat: int = 30,
        connect_attempts: int = 3,
        backoff: float = 0.5,
        max_backoff: float = 30.0,
        blocked_timeout: float = 60.0,
    ) -> None:
        if delivery_limit < 1:
            raise ValueError(f"delivery_limit must be at least 1, not {delivery_limit}")
        if connect_attempts < 1:
            raise ValueError(f"connect_attempts must be at least 1, not {connect_attempts}")
        self._url = url
        parameters = pika.URLParameters(url)  # a malformed URL fails here, at start
        vhost = "" if parameters.virtual_host == "/" else f"/{parameters.virtual_host}"
        self.host = f"{parameters.host}:{parameters.port}{vhost}"
        credentials = parameters.credentials
        self._secret: str = getattr(credentials, "password", "") or ""
        self._bindings = {
            q: tuple(p) for q, p in (BINDINGS if bindings is None else bindings).items()
        }
        self._namespace = namespace
        self._exchange = namespace + EXCHANGE
        self._dead_letter_exchange = namespace + DEAD_LETTER_EXCHANGE
        self._delivery_limit = delivery_limit
        self._max_lengths = dict(MAX_LENGTHS if max_lengths is None else max_lengths)
        self._heartbeat = heartbeat
        self._connect_attempts = connect_attempts
        self._backoff = backoff
        self._max_backoff = max_backoff
        self._blocked_timeout = blocked_timeout
        self._lock = threading.RLock()  # guards the shared connection and its channels
        self._connection: BlockingConnection | None = None
        self._confirming: BlockingChannel | None = None
        self._closed = False

    # --- names and connections -------------------------------------------------------------

    def _name(self, queue: str) -> str:
        return self._namespace + queue

    def _parameters(self, purpose: str) -> pika.URLParameters:
        parameters = pika.URLParameters(self._url)
        parameters.heartbeat = self._heartbeat
        # a broker short of memory or disk blocks publishers; without this they wait forever
        parameters.blocked_connection_timeout = self._blocked_timeout
        parameters.client_properties = {"connection_name": f"lto {purpose}"}
        return parameters

    def _describe(self, error: BaseException) -> str:
        if isinstance(error, pika.exceptions.AMQPError):
            text = repr(error)  # pika's str() is often empty; its repr() says what happened
        else:
            text = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
        return text.replace(self._secret, "***") if self._secret else text

    def _connect(self, purpose: str, *, attempts: int | None = None) -> BlockingConnection:
        """A new connection, trying ``attempts`` times with doubling pauses between."""
        attempts = self._connect_attempts if attempts is None else attempts
        delay = self._backoff
        for attempt in range(1, attempts + 1):
            try:
                return BlockingConnection(self._parameters(purpose))
            except (pika.exceptions.AMQPError, OSError) as error:
                reason = self._describe(error)
            if attempt < attempts:
                logger.info("RabbitMQ at %s not reachable (%s); retrying", self.host, reason)
                time.sleep(delay)
                delay = min(delay * 2, self._max_backoff)
        raise BrokerUnavailable(f"cannot reach RabbitMQ at {self.host}: {reason}")

    def _live_connection(self, *, attempts: int | None = None) -> BlockingConnection:
        """The shared connection, made anew if there is none or the broker closed it (a
        connection idle past two heartbeats is closed by the broker: polling it once finds
        that out before a publish is lost on it). Call with the lock held."""
        if self._closed:
            raise BrokerUnavailable(f"the broker object for RabbitMQ at {self.host} is closed")
        connection = self._connection
        if connection is not None and connection.is_open:
            try:
                connection.process_data_events(time_limit=0)
            except (pika.exceptions.AMQPError, OSError) as error:
                logger.info(
                    "connection to RabbitMQ at %s lost: %s", self.host, self._describe(error)
                )
            if connection.is_open:
                return connection
        self._drop_connection()
        self._connection = self._connect("publisher", attempts=attempts)
        return self._connection

    def _drop_connection(self) -> None:
        connection, self._connection, self._confirming = self._connection, None, None
        if connection is not None:
            _close_quietly(connection)

    @contextlib.contextmanager
    def _errors(self, action: str) -> Iterator[None]:
        """pika's errors as the port's: a channel the broker closed (missing queue, queue
        declared with other arguments) is a ``BrokerError`` and leaves the connection up;
        anything else means the connection is unusable: it is dropped, to be made anew by the
        next call, and the caller gets ``BrokerUnavailable``."""
        try:
            yield
        except BrokerError:
            raise
        except pika.exceptions.ChannelClosedByBroker as error:
            raise BrokerError(f"{action} at {self.host}: {self._describe(error)}") from None
        except (pika.exceptions.AMQPError, OSError) as error:
            self._drop_connection()
            raise BrokerUnavailable(
                f"{action}: RabbitMQ at {self.host} failed: {self._describe(error)}"
            ) from None

    @contextlib.contextmanager
    def _channel(self, action: str, *, attempts: int | None = None) -> Iterator[BlockingChannel]:
        """A short-lived channel on the shared connection, under the lock: a passive declare
        of a missing queue closes its channel, which must not be the publishers' one."""
        with self._lock, self._errors(action):
            channel = self._live_connection(attempts=attempts).channel()
            try:
                yield channel
            finally:
                if channel.is_open:
                    with contextlib.suppress(pika.exceptions.AMQPError, OSError):
                        channel.close()

    # --- the port ---------------------------------------------------------------------------

    def declare(self) -> None:
        """Idempotent; fails with ``BrokerError`` if a queue of one of these names exists with
        other arguments (RabbitMQ never changes a queue's arguments: delete it, or migrate)."""
        with self._channel("declaring the exchanges and queues") as channel:
            channel.exchange_declare(self._exchange, exchange_type="topic", durable=True)
            channel.exchange_declare(
                self._dead_letter_exchange, exchange_type="direct", durable=True
            )
            for queue, patterns in self._bindings.items():
                name, dead = self._name(queue), self._name(dead_letter_queue(queue))
                channel.queue_declare(dead, durable=True, arguments={"x-queue-type": "quorum"})
                channel.queue_bind(dead, self._dead_letter_exchange, routing_key=name)
                arguments: dict[str, Any] = {
                    "x-queue-type": "quorum",
                    "x-dead-letter-exchange": self._dead_letter_exchange,
                    "x-dead-letter-routing-key": name,
                    "x-delivery-limit": self._delivery_limit,
                }
                if queue in self._max_lengths:
                    arguments["x-max-length"] = self._max_lengths[queue]
                    arguments["x-overflow"] = "drop-head"
                channel.queue_declare(name, durable=True, arguments=arguments)
                for pattern in patterns:
                    channel.queue_bind(name, self._exchange, routing_key=pattern)

    def delete_declared(self) -> None:
        """Delete what ``declare`` made, messages included: for tests and their namespaces,
        never for a running installation."""
        with self._channel("deleting the exchanges and queues") as channel:
            for queue in self._bindings:
                channel.queue_delete(self._name(queue))
                channel.queue_delete(self._name(dead_letter_queue(queue)))
            channel.exchange_delete(self._exchange)
            channel.exchange_delete(self._dead_letter_exchange)

    def publish(self, messages: Sequence[Message]) -> None:
        """One confirm per message, in order; on ``Unroutable`` or ``BrokerUnavailable`` the
        messages before the failing one may have gone through (the port says to treat the
        whole call as unsent: the outbox sends them again and consumers deduplicate)."""
        if not messages:
            return
        with self._lock:
            with self._errors("publishing"):
                connection = self._live_connection()
                if self._confirming is None or not self._confirming.is_open:
                    self._confirming = connection.channel()
                    self._confirming.confirm_delivery()
                channel = self._confirming
            for message in messages:
                properties = pika.BasicProperties(
                    delivery_mode=2,  # persistent
                    message_id=message.message_id,
                    content_type="application/json",
                    headers=dict(message.headers),
                )
                try:
                    channel.basic_publish(
                        exchange=self._exchange,
                        routing_key=message.routing_key,
                        body=message.body,
                        properties=properties,
                        mandatory=True,
                    )
                except pika.exceptions.UnroutableError:
                    # the broker returned it, then confirmed: the channel is still good
                    raise Unroutable(
                        f"no queue is bound for {message.routing_key!r} on exchange "
                        f"{self._exchange!r} at {self.host} (message {message.message_id})"
                    ) from None
                except pika.exceptions.NackError:
                    self._drop_connection()
                    raise BrokerUnavailable(
                        f"RabbitMQ at {self.host} refused message {message.message_id} "
                        f"({message.routing_key})"
                    ) from None
                except (pika.exceptions.AMQPError, OSError) as error:
                    self._drop_connection()
                    raise BrokerUnavailable(
                        f"publishing to RabbitMQ at {self.host} failed: {self._describe(error)}"
                    ) from None

    def consume(
        self,
        queue: str,
        handler: Handler,
        *,
        stop: StopSignal,
        prefetch: int = 1,
        on_idle: Callable[[], None] | None = None,
    ) -> None:
        """Runs ``handler`` on up to ``prefetch`` worker threads; raises ``BrokerUnavailable``
        at once for a queue the server does not have, and otherwise returns only when stopped
        (reconnecting as often as it takes). ``stop.stop()`` waits for the handlers in hand;
        ``stop.abandon()`` requeues their messages at once and returns without waiting (the
        handlers run on, on daemon threads, their outcomes dropped), so that a worker told
        twice to stop can exit in the middle of a long job."""
        if prefetch < 1:
            raise ValueError(f"prefetch must be at least 1, not {prefetch}")
        _Consumer(self, queue, handler, stop, prefetch, on_idle).run()

    def dead_letters(self, queue: str, *, limit: int = 100) -> list[Message]:
        """Each with the routing key it was published with (the dead-letter queue has them
        under the queue's name) and the publisher's headers only."""
        taken: list[Message] = []
        name = self._name(dead_letter_queue(queue))
        with self._channel(f"taking dead letters off {name!r}") as channel:
            while len(taken) < limit:
                method, properties, body = channel.basic_get(name, auto_ack=True)
                if method is None:
                    break
                headers = dict(properties.headers or {})
                deaths = headers.get("x-death") or [{}]
                keys = deaths[-1].get("routing-keys") or [method.routing_key]  # oldest death
                taken.append(_message(properties, str(keys[0]), body, redelivered=False))
        return taken

    def depth(self, queue: str) -> int:
        """Ready messages (a quorum queue's declare-ok does not count unacknowledged ones)."""
        name = self._name(queue)
        with self._channel(f"counting the messages of {name!r}") as channel:
            declared = channel.queue_declare(name, passive=True)
        return int(declared.method.message_count)

    def health(self) -> dict[str, Any]:
        """One connection attempt, no retries: a health check must answer quickly. A queue
        missing (``declare`` not run, or deleted) makes it "unavailable" too: workers could
        not consume."""
        report: dict[str, Any] = {"status": "ok", "broker": "rabbitmq", "host": self.host}
        depths: dict[str, int] = {}
        missing: list[str] = []
        try:
            with self._lock:
                self._live_connection(attempts=1)
                for queue in self._bindings:
                    for name in (queue, dead_letter_queue(queue)):
                        try:
                            depths[name] = self.depth(name)
                        except BrokerUnavailable:
                            raise
                        except BrokerError:
                            missing.append(name)
        except Exception as error:  # never raises: it is what explains the failure
            report.update(status="unavailable", error=str(error))
        if missing:
            report.update(status="unavailable", missing=missing)
        report["queues"] = depths
        return report

    def close(self) -> None:
        """Closes the shared connection; running ``consume`` calls keep theirs until stopped."""
        with self._lock:
            self._closed = True
            self._drop_connection()


def _close_quietly(connection: BlockingConnection) -> None:
    if connection.is_open:
        with contextlib.suppress(pika.exceptions.AMQPError, OSError):
            connection.close()


def _message(
    properties: pika.BasicProperties, routing_key: str, body: bytes, *, redelivered: bool
) -> Message:
    """A delivery as a ``Message``; ``delivery_count`` from the quorum queue's count of earlier
    deliveries (absent on the first one), the ``redelivered`` flag only where there is none."""
    headers = dict(properties.headers or {})
    earlier = headers.get("x-delivery-count")
    count = earlier + 1 if isinstance(earlier, int) else 2 if redelivered else 1
    own = {k: v for k, v in headers.items() if not k.startswith(_BROKER_HEADERS)}
    return Message(
        message_id=properties.message_id or "",
        routing_key=routing_key,
        body=body,
        headers=own,
        delivery_count=count,
    )


@dataclass
class _Session:
    """One connection's worth of consuming: what is in hand is only valid on it (delivery
    tags are per channel)."""

    connection: BlockingConnection
    channel: BlockingChannel
    in_hand: dict[int, Message] = field(default_factory=dict)
    # outcomes handed back by the workers, settled by the I/O loop (see ``_Consumer._session``)
    outcomes: deque[tuple[int, Message, _Outcome]] = field(default_factory=deque)
    cancelled_by_broker: bool = False


class _Consumer:
    """One ``consume`` call: the reconnect loop on the calling thread, each handler call on a
    daemon thread of its own (at most ``prefetch`` at once: the broker hands out no more).
    Daemon threads, not a ``ThreadPoolExecutor``, whose threads the interpreter joins at exit:
    a worker that abandons a long job must be able to exit without finishing it."""

    def __init__(
        self,
        broker: RabbitMqBroker,
        queue: str,
        handler: Handler,
        stop: StopSignal,
        prefetch: int,
        on_idle: Callable[[], None] | None,
    ) -> None:
        self._broker = broker
        self._queue = queue
        self._name = broker._name(queue)
        self._handler = handler
        self._stop = stop
        self._prefetch = prefetch
        self._on_idle = on_idle
        self._delay = broker._backoff
        self._reconnecting = False  # a session failed: say so when the next one starts
        self._abandoned = False  # stop.abandon(): handlers still running are left behind
        self._running: set[threading.Thread] = set()
        self._running_lock = threading.Lock()

    def run(self) -> None:
        broker = self._broker
        while not self._stop.is_set:
            try:
                connection = broker._connect(f"consumer of {self._name}", attempts=1)
            except BrokerUnavailable as error:
                logger.warning("%s; consuming %s again in %.1f s", error, self._name, self._delay)
                self._back_off()
                continue
            try:
                self._session(connection)
                return  # stopped: everything in hand settled, or requeued by abandon
            except (pika.exceptions.AMQPError, OSError, _Lost) as error:
                logger.warning(
                    "lost RabbitMQ at %s while consuming %s (%s); reconnecting in %.1f s",
                    broker.host,
                    self._name,
                    broker._describe(error),
                    self._delay,
                )
            finally:
                if not self._abandoned:
                    self._wait_for_handlers()  # their deliveries died with the connection
                _close_quietly(connection)
            self._back_off()

    def _back_off(self) -> None:
        self._reconnecting = True
        self._stop.event.wait(self._delay)
        self._delay = min(self._delay * 2, self._broker._max_backoff)

    def _session(self, connection: BlockingConnection) -> None:
        channel = connection.channel()
        try:
            channel.queue_declare(self._name, passive=True)
        except pika.exceptions.ChannelClosedByBroker as error:
            if error.reply_code == _NOT_FOUND:
                raise BrokerUnavailable(
                    f"no queue {self._name!r} at RabbitMQ {self._broker.host}: run declare() first"
                ) from None
            raise
        channel.basic_qos(prefetch_count=self._prefetch)
        session = _Session(connection, channel)

        def cancelled(_frame: object) -> None:
            session.cancelled_by_broker = True

        channel.add_on_cancel_callback(cancelled)
        tag = channel.basic_consume(
            self._name,
            on_message_callback=functools.partial(self._deliver, session),
            auto_ack=False,
        )
        if self._reconnecting:
            logger.warning("consuming %s at %s again", self._name, self._broker.host)
        self._delay, self._reconnecting = self._broker._backoff, False
        consuming = True
        idle_since = time.monotonic()
        while True:
            # Cancel before settling anything once stopped: a settlement frees a prefetch slot
            # or (abandon) requeues, and the broker would at once deliver into the consumer
            # being cancelled, where pika nacks what it holds: a delivery counted for nothing.
            if consuming and self._stop.is_set:
                channel.basic_cancel(tag)
                consuming = False
            while session.outcomes:
                if consuming and self._stop.is_set:
                    channel.basic_cancel(tag)
                    consuming = False
                self._settle(session, *session.outcomes.popleft())
            if self._stop.requeue_in_hand and session.in_hand:
                self._abandon(session)
            if not consuming and not session.in_hand:
                return
            connection.process_data_events(time_limit=_TICK_S)
            if session.cancelled_by_broker:
                raise _Lost("the broker cancelled the consumer (queue deleted?)")
            if channel.is_closed:
                raise _Lost("the channel was closed")
            now = time.monotonic()
            if session.in_hand or not consuming:
                idle_since = now
            elif self._on_idle is not None and now - idle_since >= _IDLE_S:
                self._on_idle()
                idle_since = now

    def _abandon(self, session: _Session) -> None:
        """Give what is in hand back to the broker now (another consumer takes it over) and
        leave its handlers behind: their outcomes are dropped (the port: "requeues it when
        ``stop`` is set with ``abandon``"; the worker: a second signal requeues and exits)."""
        for tag, message in session.in_hand.items():
            session.channel.basic_nack(tag, requeue=True)
            logger.warning(
                "abandoned message %s (%s) in hand: requeued", message.message_id, self._name
            )
        session.in_hand.clear()
        self._abandoned = True

    def _deliver(
        self,
        session: _Session,
        _channel: BlockingChannel,
        method: pika.spec.Basic.Deliver,
        properties: pika.BasicProperties,
        body: bytes,
    ) -> None:
        """On the connection's thread: hand the message to a worker and return at once."""
        message = _message(properties, method.routing_key, body, redelivered=method.redelivered)
        session.in_hand[method.delivery_tag] = message
        worker = threading.Thread(
            target=self._work,
            args=(session, method.delivery_tag, message),
            name=f"lto-{self._queue}-{method.delivery_tag}",
            daemon=True,
        )
        with self._running_lock:
            self._running.add(worker)
        worker.start()

    def _work(self, session: _Session, tag: int, message: Message) -> None:
        """On a worker thread: run the handler, send the outcome to the connection's thread."""
        try:
            try:
                self._handler(message)
                outcome = _Outcome.DONE
            except Poison as error:
                logger.warning("message %s is poison, dead-lettered: %s", message.message_id, error)
                outcome = _Outcome.POISON
            except BaseException:  # whatever it is, the delivery must be settled
                logger.exception(
                    "handler failed on message %s (%s), delivery %d of at most %d",
                    message.message_id,
                    message.routing_key,
                    message.delivery_count,
                    self._broker._delivery_limit,
                )
                outcome = _Outcome.FAILED
            settle = functools.partial(session.outcomes.append, (tag, message, outcome))
            try:
                session.connection.add_callback_threadsafe(settle)
            except (pika.exceptions.AMQPError, OSError):
                logger.info(
                    "outcome of %s dropped: its delivery is gone (connection lost, or abandoned)",
                    message.message_id,
                )
        finally:
            with self._running_lock:
                self._running.discard(threading.current_thread())

    def _settle(self, session: _Session, tag: int, message: Message, outcome: _Outcome) -> None:
        """On the connection's thread. A tag no longer in hand was abandoned: left alone."""
        if session.in_hand.pop(tag, None) is None:
            return
        channel = session.channel
        if outcome is _Outcome.POISON:
            channel.basic_reject(tag, requeue=False)
        elif self._stop.requeue_in_hand:
            channel.basic_nack(tag, requeue=True)
        elif outcome is _Outcome.DONE:
            channel.basic_ack(tag)
        elif message.delivery_count >= self._broker._delivery_limit:
            logger.error(
                "message %s (%s) failed %d times: dead-lettered",
                message.message_id,
                message.routing_key,
                message.delivery_count,
            )
            channel.basic_reject(tag, requeue=False)
        else:
            channel.basic_nack(tag, requeue=True)

    def _wait_for_handlers(self) -> None:
        """Handlers outlive their connection; a new one must not take on more than
        ``prefetch`` at once (nor the redelivered copy of a message still being handled)."""
        with self._running_lock:
            running = list(self._running)
        for worker in running:
            worker.join()


__all__ = ["RabbitMqBroker"]
