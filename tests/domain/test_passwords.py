from custody.domain.passwords import MAX_LENGTH, password_problems


def test_length_limits():
    assert password_problems("Ab3$efg") != []
    assert password_problems("Ab3$efgh") == []
    assert password_problems("x" * 64 + "Y1") == []  # long passphrases are welcome
    assert password_problems("x" * (MAX_LENGTH + 1)) != []


def test_common_and_username_passwords_are_refused():
    assert password_problems("password123") and password_problems("WOAINI1314")
    assert password_problems("judge_zhou", username="Judge_Zhou")
    assert password_problems("Zhou-judge-2026", username="judge_zhou") == []
