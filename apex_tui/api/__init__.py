"""Wire models, Connect codec and the async Apex client. Imports no Textual."""
