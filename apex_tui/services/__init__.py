"""What the UI and the CLI share: chat sync, research tracking, configuration. Imports no Textual."""
