from collectors.rates import RateTracker


def test_first_sample_has_no_rate_then_deltas_per_second() -> None:
    r = RateTracker()
    assert r.update("d", 10.0, {"tx": 1000, "rx": None}) == {"tx": None, "rx": None}
    assert r.update("d", 12.0, {"tx": 3000, "rx": 5}) == {"tx": 1000.0, "rx": None}
    assert r.update("d", 13.0, {"tx": 3500, "rx": 15}) == {"tx": 500.0, "rx": 10.0}


def test_counter_going_backwards_starts_over() -> None:
    r = RateTracker()
    r.update("d", 0.0, {"tx": 10_000})
    assert r.update("d", 1.0, {"tx": 50}) == {"tx": None}  # domain restarted
    assert r.update("d", 2.0, {"tx": 150}) == {"tx": 100.0}


def test_same_time_twice_keeps_baseline_and_retain_drops_gone_keys() -> None:
    r = RateTracker()
    r.update("a", 1.0, {"x": 1})
    r.update("b", 1.0, {"x": 1})
    assert r.update("a", 1.0, {"x": 5}) == {"x": None}
    assert r.update("a", 2.0, {"x": 3}) == {"x": 2.0}
    r.retain(["a"])
    assert len(r) == 1
    assert r.update("b", 3.0, {"x": 9}) == {"x": None}
