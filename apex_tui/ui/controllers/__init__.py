"""The main screen's flows, one object each, owned by the screen.

The screen composes the widgets, owns these controllers and routes its bindings and messages to
them. A controller holds its flow's state and may use the screen for widgets, toasts, timers and
workers; what it needs of another flow it is handed explicitly (an object or a callable) when the
screen builds it, so no controller reads another's attributes.
"""
