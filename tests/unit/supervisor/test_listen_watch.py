"""`devctl.supervisor.listen_watch`: who is woken, when the watch runs and how fast, and what
happens where the kernel will not answer (a scripted asker; the real one is tested in
tests/unit/procs/test_listening.py and end to end in tests/integration/test_listen_watch.py)."""

from __future__ import annotations

from devctl.procs import tasks
from devctl.supervisor import listen_watch
from devctl.supervisor.listen_watch import ListenWatch


class ScriptedAsker:
    """Answers `ports()` from a list of answers (the last one repeats); None: refused."""

    def __init__(self, *answers: set[int] | None):
        self.answers = list(answers)
        self.asked = 0
        self.closed = False

    def ports(self) -> set[int] | None:
        self.asked += 1
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]

    def close(self) -> None:
        self.closed = True


def test_a_waiter_is_woken_once_when_its_port_listens_and_the_watch_ends_with_the_last_waiter():
    asker = ScriptedAsker(set(), {1}, {1, 2})
    woken: list[str] = []

    async def main() -> None:
        watch = ListenWatch(open_asker=lambda: asker)  # type: ignore[arg-type, return-value]
        async with tasks.create_task_group() as tg:
            now = tasks.current_time()
            assert watch.want("a", 1, now, lambda: woken.append("a"), tg.start_soon)
            assert watch.want("b", 2, now, lambda: woken.append("b"), tg.start_soon)
            with tasks.fail_after(5):
                while woken != ["a", "b"]:
                    await tasks.sleep(0.001)
        assert watch._running is False and asker.asked == 3
        watch.close()
        assert asker.closed

    tasks.run(main)


def test_a_forgotten_waiter_is_not_woken():
    asker = ScriptedAsker(set(), {1})
    woken: list[str] = []

    async def main() -> None:
        watch = ListenWatch(open_asker=lambda: asker)  # type: ignore[arg-type, return-value]
        async with tasks.create_task_group() as tg:
            watch.want("a", 1, tasks.current_time(), lambda: woken.append("a"), tg.start_soon)
            watch.forget("a")
        assert woken == [] and asker.asked <= 1

    tasks.run(main)


def test_the_pace_is_fast_while_the_youngest_waiter_is_young_then_slow():
    now = [100.0]
    watch = ListenWatch(open_asker=lambda: None, clock=lambda: now[0])
    watch._waiting = {"old": (1, lambda: None, 10.0), "young": (2, lambda: None, 99.5)}
    assert watch._pace(0.00005) == listen_watch.FAST_S
    now[0] = 99.5 + listen_watch.FAST_FOR_S
    assert watch._pace(0.00005) == listen_watch.SLOW_S


def test_a_costly_question_is_asked_less_often():
    """The watch keeps its own CPU to about 1/COST_SHARE of a core: a machine with many
    listening sockets answers slower, and is asked less often."""
    watch = ListenWatch(open_asker=lambda: None, clock=lambda: 100.0)
    watch._waiting = {"young": (2, lambda: None, 99.9)}
    slow = 0.0004  # 400 µs: a machine listening on a few hundred ports
    assert watch._pace(slow) == slow * listen_watch.COST_SHARE > listen_watch.FAST_S


def test_where_the_kernel_will_not_answer_every_waiter_is_woken_and_later_naps_are_plain():
    woken: list[str] = []

    async def main() -> None:
        watch = ListenWatch(open_asker=lambda: None)
        async with tasks.create_task_group() as tg:
            assert watch.want("a", 1, tasks.current_time(), lambda: woken.append("a"), tg.start_soon)
        assert woken == ["a"] and watch.usable is False
        assert not watch.want("b", 2, tasks.current_time(), lambda: woken.append("b"), tg.start_soon)

    tasks.run(main)


def test_a_kernel_that_stops_answering_turns_the_watch_off():
    asker = ScriptedAsker(set(), None)
    woken: list[str] = []

    async def main() -> None:
        watch = ListenWatch(open_asker=lambda: asker)  # type: ignore[arg-type, return-value]
        async with tasks.create_task_group() as tg:
            watch.want("a", 1, tasks.current_time(), lambda: woken.append("a"), tg.start_soon)
        assert woken == ["a"] and watch.usable is False and asker.asked == 2

    tasks.run(main)
