"""The local Apex-compatible server. Shares only the wire models and protocol helpers with the client."""
