"""What the UI and CLI share: chat sync, research tracking, configuration. No Textual."""
