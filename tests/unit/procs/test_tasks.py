"""devctl.procs.tasks: the supervisor's coroutine runner (task groups, cancel scopes, waits)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable

import pytest

from devctl.procs import tasks


def test_run_returns_the_value_and_raises_the_error() -> None:
    async def answer(x: int) -> int:
        await tasks.sleep(0)
        return x * 2

    async def boom() -> None:
        await tasks.sleep(0.001)
        raise ValueError("boom")

    assert tasks.run(answer, 21) == 42
    with pytest.raises(ValueError, match="boom"):
        tasks.run(boom)


def test_checkpoints_let_other_tasks_run_in_order() -> None:
    seen: list[str] = []

    async def worker(name: str) -> None:
        for i in range(3):
            seen.append(f"{name}{i}")
            await tasks.checkpoint()

    async def main() -> None:
        async with tasks.create_task_group() as tg:
            tg.start_soon(worker, "a")
            tg.start_soon(worker, "b")

    tasks.run(main)
    assert seen == ["a0", "b0", "a1", "b1", "a2", "b2"]


def test_a_task_that_checkpoints_in_a_loop_lets_due_timers_and_ready_fds_run() -> None:
    """Each turn steps the tasks ready at its start, then looks at timers and fds: a task that
    checkpoints in a loop (the supervisor spawning one service per turn) cannot starve them."""
    seen: list[str] = []
    read_fd, write_fd = os.pipe()
    os.write(write_fd, b"x")

    async def timer() -> None:
        await tasks.sleep(0.002)
        seen.append("timer")

    async def reader() -> None:
        await tasks.wait_readable(read_fd)
        seen.append("fd")

    async def busy() -> None:
        deadline = time.monotonic() + 0.2
        for _ in range(1_000_000):  # bounded in count and in time
            if len(seen) == 2 or time.monotonic() > deadline:
                break
            await tasks.checkpoint()
        seen.append("busy done")

    async def main() -> None:
        async with tasks.create_task_group() as tg:
            tg.start_soon(busy)
            tg.start_soon(timer)
            tg.start_soon(reader)

    try:
        tasks.run(main)
    finally:
        os.close(read_fd)
        os.close(write_fd)
    assert sorted(seen[:2]) == ["fd", "timer"] and seen[2] == "busy done"


def test_sleeps_wake_in_deadline_order() -> None:
    seen: list[float] = []

    async def sleeper(s: float) -> None:
        await tasks.sleep(s)
        seen.append(s)

    async def main() -> None:
        async with tasks.create_task_group() as tg:
            for s in (0.03, 0.01, 0.02):
                tg.start_soon(sleeper, s)

    tasks.run(main)
    assert seen == [0.01, 0.02, 0.03]


def test_event_wakes_every_waiter_and_a_set_event_does_not_wait() -> None:
    woke: list[int] = []

    async def main() -> None:
        event = tasks.Event()

        async def waiter(i: int) -> None:
            await event.wait()
            woke.append(i)

        async with tasks.create_task_group() as tg:
            for i in range(3):
                tg.start_soon(waiter, i)
            await tasks.sleep(0.005)
            assert woke == []
            event.set()
        await event.wait()  # already set: returns
        assert event.is_set()

    tasks.run(main)
    assert sorted(woke) == [0, 1, 2]


def test_move_on_after_ends_the_block_and_says_so() -> None:
    async def main() -> tuple[bool, bool, bool]:
        with tasks.move_on_after(0.01) as timed_out:
            await tasks.sleep(5)
        with tasks.move_on_after(5) as in_time:
            await tasks.sleep(0.001)
        event = tasks.Event()
        with tasks.move_on_after(0.01) as waited:
            await event.wait()
        return timed_out.cancelled_caught, in_time.cancelled_caught, waited.cancelled_caught

    assert tasks.run(main) == (True, False, True)


def test_a_cancel_is_caught_by_the_scope_that_was_cancelled() -> None:
    async def main() -> list[str]:
        log: list[str] = []
        with tasks.CancelScope() as outer:
            with tasks.CancelScope() as inner:
                outer.cancel()
                try:
                    await tasks.sleep(5)
                finally:
                    log.append("inner unwound")
            log.append("not reached")  # the outer cancel goes on past the inner scope
        log.append(f"inner caught={inner.cancelled_caught} outer caught={outer.cancelled_caught}")
        return log

    assert tasks.run(main) == ["inner unwound", "inner caught=False outer caught=True"]


def test_a_shield_keeps_its_block_running_until_it_ends() -> None:
    async def main() -> list[str]:
        log: list[str] = []
        with tasks.move_on_after(0.01) as outer:
            with tasks.CancelScope(shield=True):
                await tasks.sleep(0.03)  # outlives the outer deadline
                log.append("shielded sleep done")
            log.append("after the shield")
            await tasks.sleep(5)  # the next checkpoint sees the outer cancel
            log.append("not reached")
        log.append(f"outer caught={outer.cancelled_caught}")
        return log

    assert tasks.run(main) == ["shielded sleep done", "after the shield", "outer caught=True"]


def test_a_failing_child_cancels_its_siblings_and_the_group_raises_it() -> None:
    cleaned: list[str] = []

    async def sibling() -> None:
        try:
            await tasks.sleep(5)
        finally:
            cleaned.append("sibling")

    async def failing() -> None:
        await tasks.sleep(0.005)
        raise KeyError("child")

    async def main() -> None:
        async with tasks.create_task_group() as tg:
            tg.start_soon(sibling)
            tg.start_soon(failing)
            try:
                await tasks.sleep(5)
            finally:
                cleaned.append("body")

    with pytest.raises(BaseExceptionGroup) as caught:
        tasks.run(main)
    assert [type(e) for e in caught.value.exceptions] == [KeyError]
    assert sorted(cleaned) == ["body", "sibling"]


def test_cancelling_a_group_ends_it_quietly_and_children_cannot_be_added_after() -> None:
    async def main() -> bool:
        async with tasks.create_task_group() as tg:
            tg.start_soon(tasks.sleep, 5)
            tg.start_soon(tasks.sleep, 5)
            await tasks.sleep(0.001)
            tg.cancel_scope.cancel()
            await tasks.sleep(5)  # cancelled at once too
        with pytest.raises(RuntimeError):
            tg.start_soon(tasks.sleep, 0)
        return tg.cancel_scope.cancelled_caught

    assert tasks.run(main) is True


def test_the_end_of_a_group_is_a_cancel_point_for_an_outer_cancel() -> None:
    async def main() -> list[str]:
        log: list[str] = []
        with tasks.CancelScope() as outer:
            async with tasks.create_task_group() as tg:
                async def child() -> None:
                    outer.cancel()  # the body below has no await left: only the group's end sees it

                tg.start_soon(child)
            log.append("not reached")
        log.append(f"outer caught={outer.cancelled_caught}")
        return log

    assert tasks.run(main) == ["outer caught=True"]


def test_fail_after_raises_timeout_error() -> None:
    async def main() -> None:
        with tasks.fail_after(0.005):
            await tasks.sleep(5)

    with pytest.raises(TimeoutError):
        tasks.run(main)


def test_lock_serves_one_holder_at_a_time_in_order() -> None:
    log: list[str] = []

    async def main() -> None:
        lock = tasks.Lock()

        async def user(name: str) -> None:
            async with lock:
                log.append(f"{name} in")
                await tasks.sleep(0.002)
                log.append(f"{name} out")

        async with tasks.create_task_group() as tg:
            for name in "abc":
                tg.start_soon(user, name)
        assert not lock.locked()

    tasks.run(main)
    assert log == ["a in", "a out", "b in", "b out", "c in", "c out"]


def test_a_cancelled_lock_waiter_leaves_the_queue() -> None:
    async def main() -> list[str]:
        lock, log = tasks.Lock(), []
        await lock.acquire()
        with tasks.move_on_after(0.005):
            await lock.acquire()  # held by us: times out waiting
            log.append("not reached")
        lock.release()
        assert not lock.locked()  # the cancelled waiter was not handed the lock
        async with lock:
            log.append("got it")
        return log

    assert tasks.run(main) == ["got it"]


def test_queue_hands_items_in_order_and_ends_when_closed() -> None:
    async def main() -> list[int]:
        queue: tasks.Queue[int] = tasks.Queue()
        got: list[int] = []

        async def reader() -> None:
            async for item in queue:
                got.append(item)

        async with tasks.create_task_group() as tg:
            tg.start_soon(reader)
            await tasks.sleep(0.001)
            for i in range(3):
                queue.put_nowait(i)
            await tasks.sleep(0.001)
            queue.put_nowait(3)
            queue.close()
        with pytest.raises(tasks.EndOfStream):
            queue.get_nowait()
        with pytest.raises(RuntimeError):
            queue.put_nowait(4)
        return got

    assert tasks.run(main) == [0, 1, 2, 3]
    empty: tasks.Queue[int] = tasks.Queue()
    with pytest.raises(tasks.WouldBlock):
        empty.get_nowait()


def test_wait_readable_and_a_cancelled_wait_leaves_nothing_registered() -> None:
    r, w = os.pipe()

    async def main() -> bytes:
        with tasks.move_on_after(0.005) as scope:
            await tasks.wait_readable(r)
        assert scope.cancelled_caught
        os.write(w, b"x")
        await tasks.wait_readable(r)  # registering again works: the cancelled wait let go
        await tasks.wait_writable(w)
        return os.read(r, 1)

    try:
        assert tasks.run(main) == b"x"
    finally:
        os.close(r)
        os.close(w)


def test_wait_exit_reaps_our_child() -> None:
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(0.05); raise SystemExit(3)"])

    async def main() -> int | None:
        await tasks.wait_exit(proc)
        await tasks.wait_exit(proc)  # already reaped: returns at once
        return proc.returncode

    try:
        assert tasks.run(main) == 3
    finally:
        proc.kill()
        proc.wait()


def test_run_sync_in_thread_returns_or_raises_without_blocking_the_loop() -> None:
    release = threading.Event()

    def blocking() -> str:
        assert release.wait(10)
        return threading.current_thread().name

    def failing() -> None:
        raise OSError("no")

    async def main() -> str:
        ticks = 0
        async with tasks.create_task_group() as tg:
            async def ticker() -> None:
                nonlocal ticks
                for _ in range(3):
                    await tasks.sleep(0.001)
                    ticks += 1
                release.set()

            tg.start_soon(ticker)
            name = await tasks.run_sync_in_thread(blocking)
        assert ticks == 3  # the loop ran while the thread blocked
        with pytest.raises(OSError, match="no"):
            await tasks.run_sync_in_thread(failing)
        return name

    assert tasks.run(main) != threading.current_thread().name


def test_an_abandoned_call_in_a_thread_ends_the_wait_and_its_late_result_touches_nothing(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """With `abandon_on_cancel` a deadline holds while the thread still runs (an HTTP request, a
    name lookup); what the thread returns later is posted nowhere: not to the loop that has
    ended since (its wake-up pipe's numbers may belong to another file by then), not to a
    later loop."""
    release = threading.Event()
    abandoned: list[bool] = []
    posted: list[object] = []
    original = tasks.Loop.call_soon_threadsafe

    def watched(loop: tasks.Loop, callback: Callable[[], None]) -> None:
        posted.append(callback)
        original(loop, callback)

    monkeypatch.setattr(tasks.Loop, "call_soon_threadsafe", watched)

    def slow() -> str:
        release.wait(30)
        return "late"

    async def main() -> bool:
        assert await tasks.run_sync_in_thread(lambda: "on time", abandon_on_cancel=True) == "on time"
        with tasks.move_on_after(0.05) as scope:
            await tasks.run_sync_in_thread(slow, abandon_on_cancel=True, name="slow-one",
                                           on_abandon=lambda: abandoned.append(True))
        return scope.cancelled_caught

    assert tasks.run(main) is True and abandoned == [True] and len(posted) == 1  # (the first call's)
    worker = next(t for t in threading.enumerate() if t.name == "slow-one")
    release.set()
    worker.join(10)
    assert not worker.is_alive() and len(posted) == 1

    async def later() -> str:
        await tasks.sleep(0.02)  # a turn of the loop: anything posted to it would run now
        return "ok"

    assert tasks.run(later) == "ok"


def test_call_soon_threadsafe_runs_on_its_loops_thread() -> None:
    """Two loops in two threads: a callback handed to one runs on that one's thread."""
    other_loop: list[tasks.Loop] = []
    started, stop = threading.Event(), threading.Event()

    def other() -> None:
        async def idle() -> None:
            other_loop.append(tasks.current_loop())
            started.set()
            while not stop.is_set():
                await tasks.sleep(0.005)

        tasks.run(idle)

    async def main() -> list[str]:
        done = tasks.Event()
        ran: list[str] = []
        loop = tasks.current_loop()
        thread = threading.Thread(target=other, name="other-loop")
        thread.start()
        try:
            assert started.wait(10)

            def on_loop() -> None:
                ran.append(threading.current_thread().name)
                done.set()

            threading.Thread(target=loop.call_soon_threadsafe, args=(on_loop,)).start()
            with tasks.fail_after(10):
                await done.wait()
        finally:
            stop.set()
            thread.join(10)
        return ran

    assert tasks.run(main) == [threading.current_thread().name]


def test_a_hand_over_after_the_loop_ended_writes_nowhere() -> None:
    """A worker thread that outlives its loop may still call back: the loop's wake-up pipe is
    closed by then, and its descriptor number may be another file's."""
    async def main() -> tasks.Loop:
        return tasks.current_loop()

    loop = tasks.run(main)
    r, w = os.pipe()  # likely the numbers the wake-up pipe had
    try:
        loop.call_soon_threadsafe(lambda: None)
        os.set_blocking(r, False)
        with pytest.raises(BlockingIOError):
            os.read(r, 1)  # nothing was written into whatever holds those numbers now
    finally:
        os.close(r)
        os.close(w)


def test_signal_receiver_gets_the_signal_and_restores_the_handler() -> None:
    before = signal.getsignal(signal.SIGUSR1)

    async def main() -> int:
        with tasks.open_signal_receiver(signal.SIGUSR1) as signals:
            os.kill(os.getpid(), signal.SIGUSR1)
            with tasks.fail_after(10):
                async for signum in signals:
                    return signum
        return -1

    assert tasks.run(main) == signal.SIGUSR1
    assert signal.getsignal(signal.SIGUSR1) == before


def test_nested_runs_and_tasks_outside_a_run_are_refused() -> None:
    async def nested() -> None:
        tasks.run(tasks.sleep, 0)

    with pytest.raises(RuntimeError, match="already running"):
        tasks.run(nested)
    with pytest.raises(RuntimeError):
        tasks.current_task()


def test_a_forked_child_runs_its_own_loop_whatever_it_did_to_the_parents_reactor() -> None:
    """The supervisor is forked from a CLI whose reactor (an epoll instance a fork shares) has
    the plugins' pipes registered, and points every inherited descriptor at /dev/null: its
    loop must use neither that epoll instance nor that reactor."""
    from devctl.procs import reactor

    parent = reactor.current()
    r, w = os.pipe()
    parent.add_reader(r, lambda: None)
    try:
        pid = os.fork()
        if pid == 0:  # the child: exit status says whether it worked
            code = 1
            try:
                devnull = os.open(os.devnull, os.O_RDWR)
                os.dup2(devnull, parent._selector.fileno())  # as daemon.drop_inherited_fds does
                assert reactor.current() is not parent
                code = 0 if tasks.run(tasks.sleep, 0.001) is None else 2
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        assert reactor.current() is parent  # the parent's own is untouched
    finally:
        parent.remove_reader(r)
        os.close(r)
        os.close(w)
