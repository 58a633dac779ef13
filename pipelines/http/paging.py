"""Fetching pages ahead of the pipeline: a prefetch thread, and page fan-out with backoff.

dlt's paginators fetch one page after the other, in the thread that also parses and
normalizes them. With a remote API most of a run is then spent waiting on the network, so
these helpers keep requests in flight while dlt works on the pages already here.
"""

import math
import queue
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from pipelines import logs

T = TypeVar("T")
_DONE = object()


def prefetched(items: Iterable[T], depth: int) -> Iterator[T]:
    """Iterates `items` in a background thread, staying up to `depth` items ahead.

    An exception in the background is raised here, at the point the item would have come.
    Closing this generator early stops the background thread.
    """
    if depth <= 0:
        yield from items
        return
    buffer: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                buffer.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put(item):
                    return
            put(_DONE)
        except BaseException as error:  # handed to the consumer, which re-raises it
            put(error)

    # The thread logs for the source that started it (dlt's REST client logs each request).
    producer = threading.Thread(
        target=logs.carry_source(produce), name="prefetch-pages", daemon=True
    )
    producer.start()
    try:
        while True:
            item = buffer.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        producer.join(timeout=5)


class AdaptiveConcurrency:
    """How many requests may be in flight: halved by a 429, regained one at a time.

    Additive increase, multiplicative decrease, as TCP does: a throttled API sees the
    pressure drop at once, and the fan-out creeps back up while answers keep coming.
    """

    def __init__(self, maximum: int, successes_to_grow: int = 20) -> None:
        self.maximum = max(1, maximum)
        self.current = self.maximum
        self._successes = 0
        self._successes_to_grow = successes_to_grow
        self._lock = threading.Lock()

    def observe(self, status: int) -> None:
        with self._lock:
            if status == 429:
                self.current = max(1, self.current // 2)
                self._successes = 0
            elif status < 400:
                self._successes += 1
                if self._successes >= self._successes_to_grow and self.current < self.maximum:
                    self.current += 1
                    self._successes = 0


def fan_out(
    fetch_page: Callable[[int], T],
    first_page: T,
    total_items: int,
    page_size: int,
    concurrency: AdaptiveConcurrency,
) -> Iterator[T]:
    """Yields pages 1..n in order, fetching pages 2..n concurrently once the total is known.

    Args:
        fetch_page: fetches one page by its 1-based number (with retries).
        first_page: page 1, already fetched; it told us `total_items`.
        total_items: how many items the listing has.
        page_size: items per page.
        concurrency: bounds the requests in flight, and shrinks when the API throttles.
    """
    yield first_page
    last_page = math.ceil(total_items / page_size) if page_size else 1
    next_page = 2
    in_flight: deque[Future[T]] = deque()
    with ThreadPoolExecutor(max_workers=concurrency.maximum, thread_name_prefix="page") as pool:
        try:
            while next_page <= last_page or in_flight:
                while next_page <= last_page and len(in_flight) < concurrency.current:
                    in_flight.append(pool.submit(logs.carry_source(fetch_page), next_page))
                    next_page += 1
                yield in_flight.popleft().result()
        finally:
            for future in in_flight:
                future.cancel()
