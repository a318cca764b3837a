# ruff: noqa: E501  (the request bodies are the documentation's, unchanged)
"""The curl examples of shared/seeds/003_4eaf3c7b73cbf6aa.txt, sent with the same bodies and
headers (only Authorization and Content-Type), succeed against the local server."""

from __future__ import annotations

import time

import httpx

from .conftest import SERVICE

CHAT = """{
    "messages": [
      {
        "role": "user",
        "content": "Write a short story about a cosmonaut learning to paint."
      }
    ],
    "sampling_parameters": {
      "temperature": 0.7,
      "top_p": 0.95,
      "max_new_tokens": 256,
      "do_sample": true
    }
  }"""
SEARCH = """{
    "search_query": "What is Bittensor?",
    "n_miners": 3,
    "max_results_per_miner": 2,
    "max_response_time": 30
  }"""
RESEARCH = """{
    "messages": [
      {
        "role": "user",
        "content": "Can you propose a mechanism by which a decentralized network of AI agents could achieve provable alignment on abstract ethical principles without relying on human-defined ontologies or centralized arbitration?"
      }
    ],
    "seed": 42,
    "model": "Default",
    "sampling_parameters": {
      "temperature": 0.7,
      "top_p": 0.95,
      "max_new_tokens": 8192,
      "do_sample": false
    },
    "stream": true,
    "task": "InferenceTask",
    "mixture": false,
    "inference_mode": "Chain-of-Thought"
  }"""


def curl(http: httpx.Client, method: str, body: str) -> httpx.Response:
    return http.post(
        f"{SERVICE}/{method}",
        content=body.encode(),
        headers={"Authorization": "Bearer your-api-key", "Content-Type": "application/json"},
    )


def test_curl_chat_completion(client: httpx.Client) -> None:
    reply = curl(client, "ChatCompletion", CHAT)
    assert reply.status_code == 200
    data = reply.json()
    assert data["object"] == "chat.completion"
    assert data["choices"][0]["message"]["role"] == "assistant"
    content = data["choices"][0]["message"]["content"]
    assert "cosmonaut" in content
    assert len(content.split()) <= 256


def test_curl_web_retrieval(client: httpx.Client) -> None:
    reply = curl(client, "WebRetrieval", SEARCH)
    assert reply.status_code == 200
    results = reply.json()["results"]
    assert len(results) == 3  # max_results_per_miner is not a proto field: n_results stays 1
    assert "bittensor" in results[0]["url"]
    assert results[0]["content"] and results[0]["relevant"]


def test_curl_deep_research_and_stored_completions(client: httpx.Client) -> None:
    submitted = curl(client, "SubmitDeepResearcherJob", RESEARCH)
    assert submitted.status_code == 200
    job_id = submitted.json()["jobId"]
    assert submitted.json()["status"] == "pending"
    deadline = time.monotonic() + 20
    while True:
        polled = curl(client, "GetDeepResearcherJob", '{\n    "job_id": "' + job_id + '"\n  }')
        assert polled.status_code == 200
        if polled.json()["status"] == "completed" or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert polled.json()["status"] == "completed"
    unknown = curl(client, "GetDeepResearcherJob", '{\n    "job_id": "your-job-id"\n  }')
    assert unknown.status_code == 404
    # GetStoredChatCompletions with a real chat id (the example's placeholder id is unknown)
    chat = client.post(
        f"{SERVICE}/CreateChatAndCompletion",
        json={
            "user_prompt": "tell me a neural networks",
            "chat_type": "apex",
            "completion_type": "chain-of-thought",
        },
        headers={"Authorization": "Bearer your-api-key"},
    ).json()["parsedChat"]
    stored = curl(client, "GetStoredChatCompletions", '{"chat_id": "' + chat["id"] + '"}')
    assert stored.status_code == 200
    assert stored.json()["chatCompletions"][0]["completionType"] == "chain-of-thought"
    placeholder = curl(client, "GetStoredChatCompletions", '{"chat_id": "a-unique-chat-id"}')
    assert placeholder.status_code == 404
    assert placeholder.json()["code"] == "not_found"
