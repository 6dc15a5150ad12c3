"""Tool-call constraint tasks (ToolRL's format) with one reward entry per criterion and per constraint.

Import ``vecreward_envs.toolcall.family.ToolCallFamily`` (or ``make_family("toolcall")``); nothing heavy is
loaded here.
"""
