"""Source facts of the offline search corpus: one entry per topic, written for this project.

:mod:`apex_tui.server.corpus` expands each topic into several documents (overview, FAQ,
tutorial, …) deterministically, so the corpus is a few hundred documents with no download.
Over ~400 lines because it is data, not logic: one list of topics, read in one place.
"""

from __future__ import annotations

TOPICS: list[dict[str, object]] = [
    {
        "slug": "bittensor",
        "name": "Bittensor",
        "question": "What is Bittensor?",
        "facts": [
            "Bittensor is an open source, decentralized network in which participants produce "
            "digital commodities such as AI inference, training, storage and compute.",
            "The network is divided into subnets; each subnet is an independent community of "
            "miners, who produce the commodity, and validators, who evaluate the miners' work.",
            "Bittensor continuously emits its token, TAO, to participants in proportion to the "
            "value of their contributions as judged by validators.",
            "Subnet creators define the incentive mechanism that specifies what miners must do "
            "and how validators score them.",
            "TAO holders can stake their tokens to validators, which gives those validators more "
            "weight when consensus on miner scores is computed.",
            "The btcli command line tool and a Python SDK are the usual ways to register wallets, "
            "stake TAO and inspect subnets.",
        ],
    },
    {
        "slug": "apex-subnet",
        "name": "Apex (Subnet 1)",
        "question": "What does the Apex subnet do?",
        "facts": [
            "Apex is Bittensor's Subnet 1, run by Macrocosmos, and focuses on decentralized "
            "text generation and agentic workflows.",
            "Miners on Apex answer chat prompts, run web retrieval and perform multi-step "
            "reasoning; validators score their answers against reference solutions.",
            "The Apex API exposed chat completions, web search and a deep researcher through "
            "the Constellation gateway using the Connect protocol.",
            "Deep research on Apex ran as background jobs that produced a plan, tool calls, "
            "step summaries and a final answer polled by the client.",
            "Stored chats let a user keep conversations with titles, chat types and completion "
            "metadata on the service side.",
            "Completion types seen on Apex include basic, web-search, chain-of-thought, "
            "reasoning and combined.",
        ],
    },
    {
        "slug": "connect-protocol",
        "name": "Connect protocol",
        "question": "How does the Connect RPC protocol work?",
        "facts": [
            "Connect is an RPC protocol that works over plain HTTP/1.1 or HTTP/2 and supports "
            "unary and streaming calls described by Protocol Buffers.",
            "A unary Connect call is a POST to /package.Service/Method with an application/json "
            "or application/proto body and an ordinary HTTP response.",
            "Streaming Connect calls frame each message in an envelope: one flags byte, a four "
            "byte big-endian length and the payload.",
            "The last envelope of a Connect stream has the end-stream flag and carries either an "
            "empty object or an error with a code and a message.",
            "Connect error codes such as invalid_argument, not_found and unauthenticated map to "
            "HTTP statuses like 400, 404 and 401 on unary calls.",
            "connect-go serves the Connect, gRPC and gRPC-Web protocols on the same handler, so "
            "one server answers curl, grpcurl and browsers alike.",
        ],
    },
    {
        "slug": "protobuf-json",
        "name": "Protocol Buffers JSON mapping",
        "question": "How are Protocol Buffers encoded as JSON?",
        "facts": [
            "The proto3 JSON mapping uses lowerCamelCase field names and accepts the original "
            "snake_case names on input.",
            "Fields with implicit presence are omitted from JSON when they hold their default "
            "value, such as an empty string, zero or false.",
            "64-bit integers are written as decimal strings in proto3 JSON because JavaScript "
            "numbers cannot represent all of them exactly.",
            "google.protobuf.Timestamp values are RFC 3339 strings in UTC ending with Z, with 0, "
            "3, 6 or 9 fractional digits.",
            "google.protobuf.Struct maps to a plain JSON object, which makes it a common choice "
            "for free-form metadata.",
            "A parser that ignores unknown fields lets old clients talk to newer servers without "
            "breaking when fields are added.",
        ],
    },
    {
        "slug": "sqlite",
        "name": "SQLite",
        "question": "Why is SQLite a good embedded database?",
        "facts": [
            "SQLite is a self-contained, serverless SQL database engine stored in a single "
            "ordinary file on disk.",
            "Write-ahead logging (WAL) mode lets readers continue while a writer appends to the "
            "log, which improves concurrency for local applications.",
            "Foreign keys in SQLite are enforced only when PRAGMA foreign_keys is turned on for "
            "the connection.",
            "The FTS5 extension adds full-text search with BM25 ranking and tokenizers such as "
            "unicode61 and trigram.",
            "A transaction in SQLite is atomic: either every change in it is stored or none is, "
            "even if the process crashes.",
            "PRAGMA user_version stores an integer in the database header that applications use "
            "to version their schema.",
        ],
    },
    {
        "slug": "bm25",
        "name": "BM25 ranking",
        "question": "How does BM25 rank documents?",
        "facts": [
            "BM25 is a bag-of-words ranking function that scores documents by the query terms "
            "they contain.",
            "Term frequency in BM25 saturates: the parameter k1 controls how quickly repeated "
            "occurrences stop adding to the score.",
            "The b parameter normalizes for document length so that long documents are not "
            "favoured just for containing more words.",
            "Inverse document frequency gives rare terms more weight than terms that appear in "
            "almost every document.",
            "Typical BM25 defaults are k1 between 1.2 and 2.0 and b equal to 0.75.",
            "BM25 remains a strong baseline for search and is often combined with dense vector "
            "retrieval in hybrid systems.",
        ],
    },
    {
        "slug": "python-asyncio",
        "name": "Python asyncio",
        "question": "How does asyncio run concurrent tasks in Python?",
        "facts": [
            "asyncio runs coroutines on a single-threaded event loop that switches between "
            "tasks whenever one awaits.",
            "asyncio.create_task schedules a coroutine to run concurrently and returns a Task "
            "that can be awaited or cancelled.",
            "Blocking calls such as file or database access should run in a worker thread with "
            "asyncio.to_thread so the loop keeps serving other tasks.",
            "asyncio.wait_for applies a timeout to an awaitable and cancels it when the timeout "
            "expires.",
            "Task groups, added in Python 3.11, cancel the remaining tasks when one of them "
            "fails and re-raise the errors together.",
            "An asyncio.Event lets one task signal others, for example to ask long-running "
            "streams to finish during shutdown.",
        ],
    },
    {
        "slug": "httpx",
        "name": "HTTPX",
        "question": "What is HTTPX for Python?",
        "facts": [
            "HTTPX is a fully featured HTTP client for Python with both synchronous and "
            "asynchronous APIs.",
            "HTTPX supports streaming responses through client.stream and iterating over "
            "response.aiter_bytes.",
            "Timeouts in HTTPX are configured separately for connect, read, write and pool "
            "acquisition.",
            "HTTPX can speak HTTP/2 when the optional h2 dependency is installed.",
            "Transports in HTTPX are the seam that lets tests point a client at a local server "
            "or an ASGI app.",
            "HTTPX raises RemoteProtocolError when a server closes a connection in the middle of "
            "a response body.",
        ],
    },
    {
        "slug": "textual",
        "name": "Textual",
        "question": "What is the Textual framework?",
        "facts": [
            "Textual is a Python framework for building rich terminal user interfaces with "
            "widgets, CSS-like styling and an async event system.",
            "Textual apps are composed of widgets that post messages up to their parents and "
            "receive method calls from them.",
            "Reactive attributes in Textual refresh the widget automatically when their value "
            "changes.",
            "Workers in Textual run blocking or long-running jobs without freezing the user "
            "interface.",
            "Textual includes a Markdown widget that can render streamed text incrementally.",
            "Pilot lets tests drive a Textual app headlessly by pressing keys and clicking.",
        ],
    },
    {
        "slug": "server-sent-events",
        "name": "Server-sent events",
        "question": "How do server-sent events stream data?",
        "facts": [
            "Server-sent events (SSE) stream text from a server to a client over a single "
            "long-lived HTTP response with the text/event-stream content type.",
            "Each SSE event is one or more lines starting with data: and ends with a blank line.",
            "OpenAI-compatible chat APIs stream completions as SSE events holding JSON chunks "
            "and finish with data: [DONE].",
            "SSE reconnects automatically in browsers and can resume with the Last-Event-ID "
            "header.",
            "Unlike WebSockets, SSE is one-way and works through most HTTP proxies unchanged.",
            "A streamed chat chunk usually carries a delta with a piece of the answer text.",
        ],
    },
    {
        "slug": "openai-api",
        "name": "OpenAI-compatible chat API",
        "question": "What is an OpenAI-compatible chat completions API?",
        "facts": [
            "An OpenAI-compatible server exposes POST /v1/chat/completions taking a model name "
            "and a list of role and content messages.",
            "Ollama, vLLM, llama.cpp's server and many hosted providers implement the same chat "
            "completions API.",
            "Setting stream to true makes the server answer with server-sent events, one JSON "
            "chunk per piece of text.",
            "The finish_reason of a choice is stop when the model ended naturally and length "
            "when it hit the token limit.",
            "Sampling parameters such as temperature, top_p and max_tokens control how the "
            "model picks tokens and how long it may answer.",
            "Errors from these APIs are JSON objects with an error message and an HTTP status "
            "such as 401, 404 or 429.",
        ],
    },
    {
        "slug": "transformers",
        "name": "Transformer language models",
        "question": "How do transformer language models generate text?",
        "facts": [
            "Transformer language models predict the next token from all previous tokens using "
            "self-attention.",
            "Self-attention lets every position in a sequence weigh every other position when "
            "building its representation.",
            "Text is split into tokens by a tokenizer, often byte-pair encoding, so one word may "
            "become several tokens.",
            "Temperature rescales the next-token probabilities: low values make output more "
            "deterministic, high values more varied.",
            "The context window limits how many tokens of conversation a model can attend to "
            "at once.",
            "A fixed random seed makes sampling reproducible when the rest of the setup is "
            "identical.",
        ],
    },
    {
        "slug": "retrieval-augmented-generation",
        "name": "Retrieval-augmented generation",
        "question": "What is retrieval-augmented generation?",
        "facts": [
            "Retrieval-augmented generation (RAG) retrieves documents relevant to a question "
            "and gives them to a language model as context.",
            "RAG reduces hallucination because the model can quote and cite the retrieved "
            "passages.",
            "A RAG pipeline usually has a retriever, a ranker and a generator.",
            "Citing sources by number lets readers check each claim against the retrieved "
            "document.",
            "Chunking documents into passages makes retrieval more precise than matching whole "
            "pages.",
            "Web search engines, vector databases and BM25 indexes are all common retrievers.",
        ],
    },
    {
        "slug": "chain-of-thought",
        "name": "Chain-of-thought prompting",
        "question": "What is chain-of-thought reasoning?",
        "facts": [
            "Chain-of-thought prompting asks a model to write intermediate reasoning steps "
            "before the final answer.",
            "Writing steps out improves accuracy on arithmetic, logic and multi-step questions.",
            "Test-time inference spends more computation while answering, for example by "
            "sampling several reasoning paths.",
            "Multi-step reasoning tasks break a problem into sub-questions answered in order.",
            "Showing steps makes an answer easier to audit, because each step can be checked.",
            "Self-consistency picks the answer that most independent reasoning paths agree on.",
        ],
    },
    {
        "slug": "deep-research",
        "name": "Deep research agents",
        "question": "How do deep research agents work?",
        "facts": [
            "A deep research agent plans a set of sub-questions, searches for each, and writes "
            "a report from what it found.",
            "Research agents alternate between tool calls, such as web search, and analysis of "
            "the results.",
            "Long research jobs run in the background and clients poll them for progress.",
            "Each step of a research job can be stored as a numbered chunk so that a client can "
            "render only the new ones.",
            "A final report usually summarises findings per sub-question and lists its sources.",
            "Persisting job state lets a research job resume after a server restart.",
        ],
    },
    {
        "slug": "http-status-codes",
        "name": "HTTP status codes",
        "question": "What do HTTP status codes mean?",
        "facts": [
            "HTTP status codes in the 2xx range signal success, 4xx client errors and 5xx server "
            "errors.",
            "401 Unauthorized means the request lacked valid credentials, while 403 Forbidden "
            "means the credentials are known but not allowed.",
            "429 Too Many Requests signals rate limiting and often comes with a Retry-After "
            "header.",
            "503 Service Unavailable means the server is temporarily unable to handle the "
            "request and the client may retry later.",
            "405 Method Not Allowed must include an Allow header listing the accepted methods.",
            "415 Unsupported Media Type means the server refuses the request's content type.",
        ],
    },
    {
        "slug": "retry-backoff",
        "name": "Retries with exponential backoff",
        "question": "How should clients retry failed requests?",
        "facts": [
            "Exponential backoff doubles the wait between retries so that a struggling server "
            "gets time to recover.",
            "Adding random jitter to backoff avoids many clients retrying at the same moment.",
            "Only idempotent requests, or failures known to happen before processing, are safe "
            "to retry automatically.",
            "A Retry-After header from the server should override the client's own backoff.",
            "Retry budgets cap the total number of retries so that failures do not multiply load.",
            "Streaming calls that fail midway usually cannot be retried transparently because "
            "part of the answer was already shown.",
        ],
    },
    {
        "slug": "markdown",
        "name": "Markdown",
        "question": "What is Markdown?",
        "facts": [
            "Markdown is a lightweight markup language that turns plain text with simple "
            "punctuation into formatted documents.",
            "Headings in Markdown start with one to six hash characters.",
            "Fenced code blocks are delimited by three backticks and may name a language for "
            "syntax highlighting.",
            "Tables in GitHub-flavoured Markdown use pipes between cells and a dashed separator "
            "row under the header.",
            "Lists use a dash, an asterisk or numbers followed by a period.",
            "Streaming renderers must cope with Markdown that is incomplete, such as an "
            "unclosed code fence.",
        ],
    },
    {
        "slug": "terminal-ui",
        "name": "Terminal user interfaces",
        "question": "Why build terminal user interfaces?",
        "facts": [
            "Terminal user interfaces run over SSH and in any terminal emulator without a "
            "graphical desktop.",
            "Keyboard-first design makes terminal apps fast for people who live in the shell.",
            "Modern terminals support true colour, Unicode and mouse input.",
            "A terminal app should redraw only what changed to stay responsive on slow links.",
            "Command palettes help users discover actions without memorising key bindings.",
            "Accessible terminal apps keep working in monochrome and with screen readers.",
        ],
    },
    {
        "slug": "api-keys",
        "name": "API keys and bearer tokens",
        "question": "How should API keys be handled?",
        "facts": [
            "APIs commonly accept a key in the Authorization header as Bearer followed by the key.",
            "API keys should never be written to logs, error messages or crash reports.",
            "Storing keys in environment variables or a permission-restricted config file keeps "
            "them out of source control.",
            "Servers should compare keys in constant time to avoid timing attacks.",
            "Each key can own its own data so that one user never sees another's records.",
            "Rotating keys regularly limits the damage of a leaked key.",
        ],
    },
    {
        "slug": "asgi",
        "name": "ASGI servers",
        "question": "What is ASGI?",
        "facts": [
            "ASGI is the asynchronous server gateway interface for Python web applications.",
            "Uvicorn is a fast ASGI server built on uvloop and httptools or h11.",
            "Starlette is a lightweight ASGI framework with routing, requests, responses and "
            "streaming responses.",
            "An ASGI application is a coroutine called with a scope, a receive function and a "
            "send function.",
            "Streaming responses send several http.response.body messages with more_body set to "
            "true before the last one.",
            "Graceful shutdown lets open requests finish before the server process exits.",
        ],
    },
    {
        "slug": "rust-ownership",
        "name": "Rust ownership",
        "question": "How does ownership work in Rust?",
        "facts": [
            "Every value in Rust has a single owner, and the value is dropped when its owner "
            "goes out of scope.",
            "Borrowing lets code use a value through references without taking ownership.",
            "Rust allows either many shared references or one mutable reference at a time.",
            "The borrow checker enforces these rules at compile time, preventing data races.",
            "Moving a value transfers ownership, after which the old binding can no longer be "
            "used.",
            "Lifetimes describe how long references are valid so the compiler can check them.",
        ],
    },
    {
        "slug": "go-concurrency",
        "name": "Go concurrency",
        "question": "How does concurrency work in Go?",
        "facts": [
            "Go runs concurrent functions as goroutines, lightweight threads managed by the Go "
            "runtime.",
            "Channels pass values between goroutines and synchronise them.",
            "The select statement waits on several channel operations at once.",
            "A context.Context carries deadlines and cancellation across API boundaries.",
            "sync.WaitGroup waits for a collection of goroutines to finish.",
            "The race detector finds unsynchronised access to shared memory during tests.",
        ],
    },
    {
        "slug": "docker",
        "name": "Docker containers",
        "question": "What are Docker containers?",
        "facts": [
            "Docker packages an application and its dependencies into an image that runs the "
            "same way everywhere.",
            "Containers share the host kernel, which makes them lighter than virtual machines.",
            "A Dockerfile lists the steps to build an image layer by layer.",
            "Volumes keep data outside the container so it survives when the container is "
            "replaced.",
            "Port publishing maps a container port to a port on the host.",
            "Multi-stage builds keep final images small by leaving build tools behind.",
        ],
    },
    {
        "slug": "git",
        "name": "Git version control",
        "question": "How does Git track changes?",
        "facts": [
            "Git stores snapshots of a project as commits that point to their parents.",
            "Branches in Git are movable pointers to commits, cheap to create and merge.",
            "The staging area lets a developer choose exactly which changes go into a commit.",
            "Small commits with clear messages make history easy to review and bisect.",
            "git bisect finds the commit that introduced a bug by binary search.",
            "Remote repositories are synchronised with fetch, pull and push.",
        ],
    },
    {
        "slug": "tcp",
        "name": "TCP networking",
        "question": "How does TCP deliver data reliably?",
        "facts": [
            "TCP provides a reliable, ordered byte stream between two endpoints over IP.",
            "A three-way handshake of SYN, SYN-ACK and ACK opens a TCP connection.",
            "TCP retransmits lost segments and uses acknowledgements to confirm delivery.",
            "Flow control with a receive window prevents a fast sender from overwhelming a slow "
            "receiver.",
            "Congestion control algorithms such as CUBIC and BBR adapt the sending rate to the "
            "network.",
            "The loopback interface 127.0.0.1 carries TCP traffic within one machine without a "
            "network card.",
        ],
    },
    {
        "slug": "http2",
        "name": "HTTP/2",
        "question": "What changed in HTTP/2?",
        "facts": [
            "HTTP/2 multiplexes many requests over one TCP connection using streams.",
            "HTTP/2 compresses headers with HPACK to save bandwidth.",
            "Binary framing in HTTP/2 replaces the text format of HTTP/1.1.",
            "gRPC requires HTTP/2 because it uses trailers and bidirectional streams.",
            "Flow control in HTTP/2 works per stream and per connection.",
            "HTTP/1.1 remains enough for unary and server-streaming Connect calls.",
        ],
    },
    {
        "slug": "testing",
        "name": "Software testing",
        "question": "How should software be tested?",
        "facts": [
            "Unit tests check small pieces in isolation, while integration tests check that "
            "pieces work together.",
            "Tests that talk to a real local server catch protocol mistakes that mocks hide.",
            "Fault injection makes rare failures, such as dropped connections, reproducible in "
            "tests.",
            "Flaky tests often come from timing assumptions; waiting for events is more robust "
            "than sleeping.",
            "Snapshot tests record the output of a user interface and fail when it changes.",
            "Benchmarks belong in separate scripts so that tests never depend on speed.",
        ],
    },
    {
        "slug": "decentralized-ai",
        "name": "Decentralized AI",
        "question": "Why decentralize artificial intelligence?",
        "facts": [
            "Decentralized AI spreads model training and inference across many independent "
            "participants instead of one company.",
            "Open networks let anyone contribute compute or models and be rewarded for useful "
            "work.",
            "Incentive mechanisms must resist gaming, such as miners copying each other's answers.",
            "Validators in decentralized networks need reference answers or judges to score "
            "open-ended outputs.",
            "Transparency of on-chain rewards makes it visible who contributed what.",
            "Latency and reliability are harder to guarantee when answers come from many "
            "independent nodes.",
        ],
    },
    {
        "slug": "proof-of-stake",
        "name": "Proof of stake",
        "question": "How does proof of stake secure a blockchain?",
        "facts": [
            "Proof of stake chooses block producers in proportion to the tokens they lock as "
            "stake.",
            "Misbehaving validators can lose part of their stake through slashing.",
            "Proof of stake uses far less energy than proof of work mining.",
            "Delegation lets token holders back a validator without running a node.",
            "Finality gadgets make blocks irreversible after enough validators vote for them.",
            "Substrate, the framework behind Bittensor's chain, supports proof-of-stake "
            "consensus modules.",
        ],
    },
    {
        "slug": "json",
        "name": "JSON",
        "question": "What is JSON?",
        "facts": [
            "JSON is a text format for objects, arrays, strings, numbers, booleans and null.",
            "The JSON standard says object names should be unique, but many parsers keep the "
            "last duplicate silently.",
            "JSON numbers have no fixed precision, so very large integers may lose digits in "
            "some languages.",
            "JSON text must be encoded as UTF-8 when exchanged between systems.",
            "Python's json module can detect duplicate keys with an object_pairs_hook.",
            "JSON Lines stores one JSON value per line, which suits logs and datasets.",
        ],
    },
    {
        "slug": "rate-limiting",
        "name": "Rate limiting",
        "question": "How does API rate limiting work?",
        "facts": [
            "Rate limiting caps how many requests a client may make in a period.",
            "The token bucket algorithm refills tokens at a fixed rate and spends one per request.",
            "Servers answer over-limit requests with 429 and a Retry-After header.",
            "Limiting concurrent streams protects a server from running out of memory or sockets.",
            "Per-key limits keep one heavy user from starving the others.",
            "Clients should slow down when they see 429 rather than retrying immediately.",
        ],
    },
]

KINDS: list[tuple[str, str]] = [
    ("overview", "{name}: an overview"),
    ("faq", "{question} Frequently asked questions"),
    ("key-facts", "{name}: key facts"),
    ("reference", "{name} reference notes"),
]
"""Document kinds each topic is expanded into: (url part, title pattern). Only kinds the facts
can honestly fill: no "history", "case study" or pairwise "comparison" of facts that tell none."""

ALIASES: dict[str, tuple[str, ...]] = {
    "bittensor": ("bittensor", "tao"),
    "apex-subnet": ("apex", "subnet 1", "sn1"),
    "connect-protocol": ("connect protocol", "connect rpc", "connect-go"),
    "protobuf-json": ("protobuf", "protocol buffers", "proto3"),
    "sqlite": ("sqlite",),
    "bm25": ("bm25",),
    "python-asyncio": ("asyncio",),
    "httpx": ("httpx",),
    "textual": ("textual",),
    "server-sent-events": ("server-sent events", "server sent events", "sse"),
    "openai-api": ("openai",),
    "transformers": ("transformer", "language model", "llm"),
    "retrieval-augmented-generation": ("retrieval-augmented generation", "rag"),
    "chain-of-thought": ("chain-of-thought", "chain of thought"),
    "deep-research": ("deep research", "deep researcher"),
    "http-status-codes": ("http status", "status code"),
    "retry-backoff": ("retry", "retries", "backoff"),
    "markdown": ("markdown",),
    "terminal-ui": ("terminal user interface", "terminal ui", "tui"),
    "api-keys": ("api key", "bearer token"),
    "asgi": ("asgi",),
    "rust-ownership": ("rust",),
    "go-concurrency": ("golang", "goroutine", "go concurrency"),
    "docker": ("docker", "container"),
    "git": ("git",),
    "tcp": ("tcp",),
    "http2": ("http/2", "http2"),
    "testing": ("software testing", "unit test", "testing"),
    "decentralized-ai": ("decentralized ai", "decentralised ai", "decentralized artificial"),
    "proof-of-stake": ("proof of stake", "proof-of-stake", "staking"),
    "json": ("json",),
    "rate-limiting": ("rate limit", "rate limiting", "429"),
}
"""Words that name a topic in a question (matched as whole word sequences): a prompt naming one
is about that topic even when the corpus lacks the rest of what it asks."""
