"""The SQL guard: every statement that reaches a warehouse passes it, on its final text."""
