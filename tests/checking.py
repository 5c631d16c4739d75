"""What the tests of the exercise checks share: run a check on an answer, say what it must find."""
import numpy as np
import torch

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


# One number as a learner's code may return it: each of these must pass where a number is asked.
NUMBER_KINDS = {
    "float": float,
    "NumPy float32": np.float32,
    "NumPy float64": np.float64,
    "0-d float32 tensor": lambda v: torch.tensor(v, dtype=torch.float32),
    "0-d float64 tensor": lambda v: torch.tensor(v, dtype=torch.float64),
    "tensor of shape (1,)": lambda v: torch.tensor([v]),
}
# A count as a learner's code may return it, where a whole number (an int) is asked.
COUNT_KINDS = {
    "int": int,
    "NumPy int64": np.int64,
    "0-d int64 tensor": lambda v: torch.tensor(v),
    "tensor of shape (1,)": lambda v: torch.tensor([v]),
}


def returning(kind, reference):
    "The answer `reference` gives, turned into `kind`: a function of `kind`(reference(...))."
    def answer(*args, **kwargs):
        return kind(reference(*args, **kwargs))
    return answer
