"""What the tests of the exercise checks share: run a check on an answer, and say what it must find."""
import checks


def status(check, answer):
    "The Result of a notebook's check (as the notebook calls it) on `answer`."
    return checks.evaluate(check.exercise.check, answer)


def status_and_message(check, answer):
    result = status(check, answer)
    return result.status, result.message


def assert_passes(check, answer):
    result = status(check, answer)
    assert result.status == "passed", result.message


def assert_wrong(check, answer, *phrases):
    "The check rejects `answer`, and its message names the mistake (each phrase appears in it)."
    result = status(check, answer)
    assert result.status == "wrong", f"{check.__name__} passed a wrong answer: {result}"
    for phrase in phrases:
        assert phrase in result.message, result.message


rejects = assert_wrong
