"""Small real HTTP servers the tests run on loopback: a scripted OpenAI-compatible model server
and a SearXNG-compatible search server that also serves the pages it finds."""
