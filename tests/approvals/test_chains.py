"""The pure chain planner over generated org trees (no database)."""

from __future__ import annotations

import uuid

import pytest

from approvals.chains import Person, find_cycles, plan_automatic_processes, walk_up


def org(edges: dict[str, str | None], *, inactive=(), deleted=(), admins=()) -> tuple[dict, dict]:
    """People named by letters; ``edges`` maps a person to their manager."""
    ids = {name: uuid.UUID(int=i + 1) for i, name in enumerate(sorted(set(edges) | {m for m in edges.values() if m}))}
    people = {
        ids[name]: Person(
            id=ids[name],
            manager_id=ids[edges[name]] if edges.get(name) else None,
            is_active=name not in inactive,
            is_deleted=name in deleted,
            is_admin=name in admins,
            label=name,
        )
        for name in ids
    }
    return people, ids


def steps_of(plan, owner, ids):
    names = {v: k for k, v in ids.items()}
    return [sorted(names[a] for a in step.approver_ids) for step in plan.processes[ids[owner]].steps]


@pytest.mark.parametrize(("depth", "expected"), [(1, [["c"]]), (2, [["c"], ["b"]]), (3, [["c"], ["b"], ["a"]])])
def test_the_chain_walks_up_to_the_company_depth(depth, expected):
    people, ids = org({"a": None, "b": "a", "c": "b", "d": "c"})
    plan = plan_automatic_processes(people, depth=depth)
    assert steps_of(plan, "c", ids) == expected
    assert plan.processes[ids["c"]].requester_ids == {ids["d"]}


def test_only_managers_with_active_reports_own_a_process():
    people, ids = org({"a": None, "b": "a", "c": "b"}, inactive={"c"})
    plan = plan_automatic_processes(people, depth=1)
    assert set(plan.processes) == {ids["a"]}


def test_a_deactivated_or_deleted_manager_is_skipped_for_the_next_one_up():
    people, ids = org({"a": None, "b": "a", "c": "b", "d": "c"}, inactive={"c"}, deleted={"b"})
    plan = plan_automatic_processes(people, depth=2)
    # d's manager c is inactive and b deleted: a approves, and nobody is left for step 2.
    assert steps_of(plan, "c", ids) == [["a"]]


def test_with_no_active_manager_left_the_admins_approve():
    people, ids = org({"boss": None, "x": "boss", "root": None}, inactive={"boss"}, admins={"root"})
    plan = plan_automatic_processes(people, depth=3)
    process = plan.processes[ids["boss"]]
    assert [set(s.approver_ids) for s in process.steps] == [{ids["root"]}]
    assert process.steps[0].fallback_to_admins


def test_without_any_admin_no_process_is_planned_rather_than_an_empty_step():
    people, _ids = org({"boss": None, "x": "boss"}, inactive={"boss"})
    assert plan_automatic_processes(people, depth=1).processes == {}


def test_a_two_person_cycle_stops_the_walk_and_is_reported():
    people, ids = org({"a": "b", "b": "a"})
    plan = plan_automatic_processes(people, depth=3)
    assert steps_of(plan, "a", ids) == [["a"], ["b"]]
    assert steps_of(plan, "b", ids) == [["b"], ["a"]]
    assert plan.cycles == {(ids["a"], ids["b"])}
    assert find_cycles(people) == {(ids["a"], ids["b"])}


def test_a_self_reference_never_loops():
    people, ids = org({"a": "a", "b": "a"})
    walk = walk_up(ids["a"], people, 3)
    assert walk.approver_ids == (ids["a"],)
    assert walk.cycle == (ids["a"],)
    plan = plan_automatic_processes(people, depth=3)
    assert plan.processes[ids["a"]].requester_ids == {ids["b"]}


def test_a_cycle_above_the_owner_is_found_from_below():
    people, ids = org({"x": "a", "a": "b", "b": "c", "c": "a", "y": "x"})
    plan = plan_automatic_processes(people, depth=3)
    assert steps_of(plan, "x", ids) == [["x"], ["a"], ["b"]]
    assert find_cycles(people) == {(ids["a"], ids["b"], ids["c"])}


def test_a_deep_tree_of_a_thousand_levels_plans_every_manager():
    edges = {f"p{i:04d}": (f"p{i - 1:04d}" if i else None) for i in range(1000)}
    people, ids = org(edges)
    plan = plan_automatic_processes(people, depth=3)
    assert len(plan.processes) == 999
    assert steps_of(plan, "p0500", ids) == [["p0500"], ["p0499"], ["p0498"]]
    assert steps_of(plan, "p0001", ids) == [["p0001"], ["p0000"]]


def test_a_wide_tree_gives_the_manager_all_reports():
    edges = {"boss": None, **{f"r{i}": "boss" for i in range(2000)}}
    people, ids = org(edges)
    plan = plan_automatic_processes(people, depth=2)
    assert len(plan.processes[ids["boss"]].requester_ids) == 2000
    assert steps_of(plan, "boss", ids) == [["boss"]]


def test_the_depth_must_be_one_to_three():
    with pytest.raises(ValueError, match="1, 2 or 3"):
        plan_automatic_processes({}, depth=4)
