"""Interactive explorers for the batch-size notebooks: ipywidgets and matplotlib only.

Each explorer is an ordinary function that trains and returns numbers (unit-tested, and called once
in the notebook without widgets so nbval compares its numbers), plus a small widget panel that
calls it when a learner moves a slider and presses *Train*.
"""
