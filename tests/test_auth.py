"""Sign-in for a shared studio: accounts and roles from secrets.toml, who may do what, and
the brake on failed sign-ins (a fake clock stands in for waiting)."""

from __future__ import annotations

import pytest

from semi_core.auth import (
    ADMIN,
    ANNOTATOR,
    Accounts,
    AccountsError,
    SignInError,
    SignInThrottle,
    has_role,
    hash_password,
    sign_in,
)

ADA, LIN = hash_password("ada's secret"), hash_password("lin's secret")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_roles_come_from_secrets_and_an_account_not_named_is_an_annotator():
    accounts = Accounts.from_secrets({"annotators": {"ada": ADA, "lin": LIN},
                                      "roles": {"lin": "admin", "ghost": "admin"}})  # fmt: skip
    assert accounts.sign_in_required
    assert accounts.role_of("ada") == ANNOTATOR and accounts.role_of("lin") == ADMIN
    assert accounts.role_of("ghost") is None  # a role without an account grants nothing
    assert accounts.role_of(None) is None
    assert accounts.may("lin", ADMIN) and accounts.may("lin", ANNOTATOR)
    assert accounts.may("ada", ANNOTATOR) and not accounts.may("ada", ADMIN)
    assert not accounts.may(None, ANNOTATOR) and not accounts.may("ghost", ADMIN)


def test_the_old_format_keeps_working_and_a_mistyped_role_grants_nothing():
    old = Accounts.from_secrets({"annotators": {"ada": ADA}})
    assert old.role_of("ada") == ANNOTATOR and not old.may("ada", ADMIN)
    typo = Accounts.from_secrets({"annotators": {"ada": ADA}, "roles": {"ada": "Admin "}})
    assert typo.role_of("ada") == ANNOTATOR


def test_with_no_accounts_sign_in_is_off_and_everyone_may_do_everything():
    accounts = Accounts.from_secrets({})
    assert not accounts.sign_in_required
    assert accounts.may(None, ADMIN)


def test_role_order():
    assert has_role(ADMIN, ANNOTATOR) and has_role(ADMIN, ADMIN)
    assert has_role(ANNOTATOR, ANNOTATOR) and not has_role(ANNOTATOR, ADMIN)
    assert not has_role(None, ANNOTATOR) and not has_role("boss", ANNOTATOR)


def test_sign_in_returns_the_account_and_refuses_with_one_sentence():
    accounts = Accounts.from_secrets({"annotators": {"ada": ADA}})
    throttle = SignInThrottle()
    assert sign_in(accounts, " ada ", "ada's secret", "s1", throttle) == "ada"
    for name, password in (("ada", "wrong"), ("bob", "ada's secret")):
        with pytest.raises(SignInError, match=r"^Unknown name or wrong password\.$"):
            sign_in(accounts, name, password, "s1", throttle)


def test_after_five_failures_a_name_waits_even_with_the_right_password_from_a_new_session():
    accounts = Accounts.from_secrets({"annotators": {"ada": ADA}})
    clock = Clock()
    throttle = SignInThrottle(free=5, delay_s=30, max_delay_s=900, window_s=900, clock=clock)
    for attempt in range(5):
        with pytest.raises(SignInError, match="wrong password"):
            sign_in(accounts, "ada", "guess", f"session-{attempt}", throttle)
    with pytest.raises(SignInError, match=r"^Too many failed sign-ins: try again in 30 seconds\.$"):
        sign_in(accounts, "ADA", "ada's secret", "a-new-session", throttle)
    clock.now += 29
    assert throttle.wait_s("ada", "another") == pytest.approx(1)
    clock.now += 1
    with pytest.raises(SignInError, match="wrong password"):  # tried again: a 6th failure
        sign_in(accounts, "ada", "guess", "s", throttle)
    with pytest.raises(SignInError, match="in 60 seconds"):  # the delay doubles
        sign_in(accounts, "ada", "ada's secret", "s", throttle)
    clock.now += 60
    assert sign_in(accounts, "ada", "ada's secret", "s", throttle) == "ada"
    assert throttle.wait_s("ada", "s") == 0  # a success forgets the failures


def test_one_session_trying_many_names_waits_too():
    accounts = Accounts.from_secrets({"annotators": {"ada": ADA, "lin": LIN}})
    throttle = SignInThrottle(free=3, delay_s=30, clock=Clock())
    for name in ("a", "b", "c"):
        with pytest.raises(SignInError, match="wrong password"):
            sign_in(accounts, name, "guess", "sprayer", throttle)
    with pytest.raises(SignInError, match="Too many"):
        sign_in(accounts, "lin", "lin's secret", "sprayer", throttle)
    assert sign_in(accounts, "lin", "lin's secret", "someone-else", throttle) == "lin"


def test_failures_older_than_the_window_are_forgotten_and_the_delay_has_a_ceiling():
    clock = Clock()
    throttle = SignInThrottle(free=2, delay_s=100, max_delay_s=150, window_s=1000, clock=clock)
    for _ in range(4):
        assert throttle.attempt("ada", "s") == 0
        clock.now += 200
    assert throttle.wait_s("ada", "s") == 0  # 200 s passed, the 150 s ceiling is over
    assert throttle.attempt("ada", "s") == 0
    assert throttle.wait_s("ada", "s") == pytest.approx(150)
    clock.now += 1001
    assert throttle.wait_s("ada", "s") == 0


def test_made_up_names_cannot_fill_the_memory():
    throttle = SignInThrottle(max_tracked=10, clock=Clock())
    for number in range(100):
        throttle.attempt(f"name-{number}", "s")
    assert len(throttle._failures) <= 10


@pytest.mark.parametrize(
    "secrets_",
    [
        {"annotators": "ada"},
        {"annotators": {"ada": 5}},
        {"annotators": {"ada": ADA}, "roles": ["ada"]},
    ],
)
def test_accounts_in_a_shape_that_cannot_be_read_are_an_error_not_an_open_studio(secrets_):
    with pytest.raises(AccountsError, match=r"secrets\.toml must be a table"):
        Accounts.from_secrets(secrets_)
