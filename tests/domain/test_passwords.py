"""Password rules: 12–128 characters, not only spaces, not common, not easy to guess."""

from custody.domain.passwords import MAX_LENGTH, MIN_LENGTH, password_problems


def test_at_least_twelve_characters():
    assert MIN_LENGTH == 12
    assert password_problems("Tq7#mVx2!pL") != []  # 11 characters
    assert password_problems("Tq7#mVx2!pLw") == []  # 12
    assert password_problems("x" * (MAX_LENGTH + 1)) != []


def test_only_white_space_is_refused_whatever_its_length():
    assert password_problems(" " * 20) == ["Password must not be only spaces."]
    assert password_problems("\t\u3000 " * 5) != []


def test_common_and_username_passwords_are_refused():
    assert password_problems("1qaz2wsx3edc")
    assert password_problems("administrator")
    assert password_problems("judge_zhou_1", username="judge_zhou_1")
    assert password_problems("Zhou-judge-2026", username="judge_zhou") == []


def test_easy_to_guess_passwords_of_any_length_are_refused():
    for weak in ("aaaaaaaaaaaa", "123456789012", "qwertyuiop12", "passwordpassword", "x" * 64 + "Y1"):
        assert password_problems(weak), weak
    # The user's own names do not make a password.
    assert password_problems("police_officer1", username="police_officer")
    # A few unrelated words are long enough and hard to guess.
    assert password_problems("correct horse battery") == []
