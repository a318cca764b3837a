"""Stored chats and completions: every RPC, order, filters, search, presence, isolation, restart."""

from __future__ import annotations

from pathlib import Path

import httpx

from apex_tui.server.embedded import EmbeddedServer

from .conftest import fast_options, ok, rpc


def new_chat(http: httpx.Client, prompt: str, chat_type: str = "apex", **extra: str) -> dict:
    body = {"user_prompt": prompt, "chat_type": chat_type, "completion_type": "basic", **extra}
    return ok(http, "CreateChatAndCompletion", body)


def test_create_list_newest_updated_first_and_filter(client: httpx.Client) -> None:
    first = new_chat(client, "first question", title="First")
    second = new_chat(client, "second question", chat_type="gravity")
    assert first["parsedChat"]["title"] == "First"
    assert second["parsedChat"]["title"] == "second question"  # derived from the prompt
    sessions = ok(client, "GetChatSessions", {})["chatSessions"]
    assert [s["id"] for s in sessions] == [second["parsedChat"]["id"], first["parsedChat"]["id"]]
    assert sessions[0]["userId"].startswith("user-")
    # a new completion in the first chat moves it to the top
    ok(
        client,
        "CreateCompletion",
        {
            "chat_id": first["parsedChat"]["id"],
            "user_prompt": "again",
            "completion_type": "reasoning",
        },
    )
    sessions = ok(client, "GetChatSessions", {"chat_type": ""})["chatSessions"]
    assert sessions[0]["id"] == first["parsedChat"]["id"]
    gravity = ok(client, "GetChatSessions", {"chatType": "gravity"})["chatSessions"]
    assert [s["id"] for s in gravity] == [second["parsedChat"]["id"]]
    stored = ok(client, "GetStoredChatCompletions", {"chat_id": first["parsedChat"]["id"]})
    assert [c["userPromptText"] for c in stored["chatCompletions"]] == ["first question", "again"]
    assert stored["chatCompletions"][1]["completionType"] == "reasoning"


def test_unknown_ids_are_not_found(client: httpx.Client) -> None:
    for method, body in (
        ("GetStoredChatCompletions", {"chat_id": "nope"}),
        ("GetChatCompletion", {"completion_id": "nope"}),
        ("UpdateChatAttributes", {"chat_id": "nope", "attributes": {"title": "x"}}),
        ("DeleteChats", {"chat_ids": ["nope"]}),
        ("CreateCompletion", {"chat_id": "nope", "user_prompt": "x"}),
        ("DeleteCompletions", {"completion_ids": ["nope"]}),
        ("UpdateCompletionAttributes", {"completion_id": "nope", "completion_text": "x"}),
        ("GetDeepResearcherJob", {"job_id": "nope"}),
    ):
        reply = rpc(client, method, body)
        assert reply.status_code == 404, method
        assert reply.json()["code"] == "not_found"


def test_missing_fields_are_invalid_argument(client: httpx.Client) -> None:
    for method, body in (
        ("CreateChatAndCompletion", {"chat_type": "apex"}),
        ("GetStoredChatCompletions", {}),
        ("GetChatCompletion", {}),
        ("DeleteChats", {"chat_ids": []}),
        ("SearchChatIdsByPromptAndCompletionText", {"search_term": "  "}),
        ("UpdateCompletionAttributes", {"completion_id": "x"}),
        ("ChatCompletion", {"messages": []}),
        ("ChatCompletion", {"messages": [{"role": "robot", "content": "hi"}]}),
    ):
        reply = rpc(client, method, body)
        assert reply.status_code == 400, method
        assert reply.json()["code"] == "invalid_argument"


def test_update_chat_attributes(client: httpx.Client) -> None:
    chat = new_chat(client, "rename me")["parsedChat"]
    reply = ok(
        client,
        "UpdateChatAttributes",
        {"chat_id": chat["id"], "attributes": {"title": "Renamed", "chat_type": "gravity"}},
    )
    assert reply["chat"]["title"] == "Renamed"
    assert reply["chat"]["chatType"] == "gravity"
    assert reply["chat"]["updatedAt"] > reply["chat"]["createdAt"]
    bad = rpc(client, "UpdateChatAttributes", {"chat_id": chat["id"], "attributes": {"owner": "x"}})
    assert bad.status_code == 400
    assert "title" in bad.json()["message"]


def test_delete_chat_deletes_its_completions(client: httpx.Client) -> None:
    created = new_chat(client, "to delete")
    chat_id, completion_id = created["parsedChat"]["id"], created["parsedCompletion"]["id"]
    keep = new_chat(client, "to keep")["parsedChat"]["id"]
    assert ok(client, "DeleteChats", {"chat_ids": [chat_id]}) == {"success": True}
    assert rpc(client, "GetChatCompletion", {"completion_id": completion_id}).status_code == 404
    assert [s["id"] for s in ok(client, "GetChatSessions", {})["chatSessions"]] == [keep]
    # all or nothing: one unknown id deletes nothing
    assert rpc(client, "DeleteChats", {"chat_ids": [keep, "unknown"]}).status_code == 404
    assert len(ok(client, "GetChatSessions", {})["chatSessions"]) == 1


def test_delete_completions(client: httpx.Client) -> None:
    created = new_chat(client, "one")
    chat_id = created["parsedChat"]["id"]
    extra = ok(client, "CreateCompletion", {"chatId": chat_id, "userPrompt": "two"})
    ok(client, "DeleteCompletions", {"completion_ids": [extra["parsedCompletion"]["id"]]})
    stored = ok(client, "GetStoredChatCompletions", {"chat_id": chat_id})["chatCompletions"]
    assert [c["userPromptText"] for c in stored] == ["one"]


def test_update_completion_presence_and_metadata_merge(client: httpx.Client) -> None:
    completion = new_chat(client, "original prompt")["parsedCompletion"]
    cid = completion["id"]
    first = ok(
        client,
        "UpdateCompletionAttributes",
        {"completion_id": cid, "completion_text": "An answer", "metadata": {"a": 1, "b": {"x": 2}}},
    )["completion"]
    assert first["completionText"] == "An answer"
    assert first["userPromptText"] == "original prompt"  # not sent → unchanged
    assert first["completedAt"].endswith("Z")
    second = ok(
        client,
        "UpdateCompletionAttributes",
        {"completionId": cid, "userPromptText": "", "metadata": {"c": [1, "two"], "a": None}},
    )["completion"]
    assert second["completionText"] == "An answer"  # not sent → unchanged
    assert "userPromptText" not in second  # sent as "" → set to empty
    assert second["metadata"] == {"b": {"x": 2}, "c": [1, "two"]}
    fetched = ok(client, "GetChatCompletion", {"completion_id": cid})
    assert fetched["metadata"] == second["metadata"]


def test_search_prompt_or_completion_case_insensitive(client: httpx.Client) -> None:
    a = new_chat(client, "Tell me about Rust ownership")
    b = new_chat(client, "unrelated")
    ok(
        client,
        "UpdateCompletionAttributes",
        {
            "completion_id": b["parsedCompletion"]["id"],
            "completion_text": "The RUST borrow checker",
        },
    )
    c = new_chat(client, "nothing here")
    found = ok(client, "SearchChatIdsByPromptAndCompletionText", {"search_term": "rust"})
    assert set(found["chatIds"]) == {a["parsedChat"]["id"], b["parsedChat"]["id"]}
    assert found["chatIds"][0] == b["parsedChat"]["id"]  # most recently updated first
    short = ok(client, "SearchChatIdsByPromptAndCompletionText", {"searchTerm": "No"})
    assert short["chatIds"] == [c["parsedChat"]["id"]]
    none = ok(client, "SearchChatIdsByPromptAndCompletionText", {"search_term": "zebra%"})
    assert none == {}


def test_search_is_case_insensitive_in_every_script_short_terms_included(
    client: httpx.Client,
) -> None:
    chats = {
        text: new_chat(client, text)["parsedChat"]["id"]
        for text in ("Ñandu runs fast", "ΩMEGA point", "ПРИВЕТ мир", "die Straße", "plain")
    }

    def found(term: str) -> set[str]:
        reply = ok(client, "SearchChatIdsByPromptAndCompletionText", {"searchTerm": term})
        return set(reply.get("chatIds", []))

    for term, text in (
        ("ñ", "Ñandu runs fast"),
        ("Ñ", "Ñandu runs fast"),
        ("ÑANDU", "Ñandu runs fast"),
        ("ω", "ΩMEGA point"),
        ("ωmega", "ΩMEGA point"),
        ("пр", "ПРИВЕТ мир"),
        ("привет", "ПРИВЕТ мир"),
        ("ß", "die Straße"),
        ("SS", "die Straße"),  # casefold: ß is ss
        ("STRAẞE", "die Straße"),
    ):
        assert found(term) == {chats[text]}, term


def test_completions_with_deep_researcher_entry(client: httpx.Client) -> None:
    plain = new_chat(client, "plain")
    research = new_chat(client, "researched")
    entry = {"jobId": "job-1", "status": "completed", "createdAt": "2025-05-22T11:09:34.179781Z"}
    ok(
        client,
        "UpdateCompletionAttributes",
        {
            "completion_id": research["parsedCompletion"]["id"],
            "metadata": {"deep-researcher": entry},
        },
    )
    listed = ok(client, "GetCompletionsWithDeepResearcherEntry", {})["completions"]
    assert [c["id"] for c in listed] == [research["parsedCompletion"]["id"]]
    assert listed[0]["metadata"]["deep-researcher"]["jobId"] == "job-1"
    assert plain["parsedCompletion"]["id"] not in {c["id"] for c in listed}


def test_keys_are_isolated(server: EmbeddedServer, client: httpx.Client) -> None:
    mine = new_chat(client, "secret plans")
    chat_id, cid = mine["parsedChat"]["id"], mine["parsedCompletion"]["id"]
    with httpx.Client(base_url=server.base_url, headers={"Authorization": "Bearer other"}) as other:
        assert ok(other, "GetChatSessions", {}) == {}
        assert ok(other, "SearchChatIdsByPromptAndCompletionText", {"search_term": "secret"}) == {}
        assert rpc(other, "GetStoredChatCompletions", {"chat_id": chat_id}).status_code == 404
        assert rpc(other, "GetChatCompletion", {"completion_id": cid}).status_code == 404
        rename = {"chat_id": chat_id, "attributes": {"title": "stolen"}}
        assert rpc(other, "UpdateChatAttributes", rename).status_code == 404
        assert rpc(other, "DeleteChats", {"chat_ids": [chat_id]}).status_code == 404
        assert rpc(other, "DeleteCompletions", {"completion_ids": [cid]}).status_code == 404
        edit = {"completion_id": cid, "completion_text": "x"}
        assert rpc(other, "UpdateCompletionAttributes", edit).status_code == 404
        add = {"chat_id": chat_id, "user_prompt": "x"}
        assert rpc(other, "CreateCompletion", add).status_code == 404
    sessions = ok(client, "GetChatSessions", {})["chatSessions"]
    assert [(s["id"], s["title"]) for s in sessions] == [(chat_id, "secret plans")]


def test_data_survives_restart(tmp_path: Path) -> None:
    headers = {"Authorization": "Bearer keep"}
    with (
        EmbeddedServer(fast_options(tmp_path)) as server,
        httpx.Client(base_url=server.base_url, headers=headers) as http,
    ):
        created = new_chat(http, "persist me")
        ok(
            http,
            "UpdateCompletionAttributes",
            {"completion_id": created["parsedCompletion"]["id"], "completion_text": "kept"},
        )
    with (
        EmbeddedServer(fast_options(tmp_path)) as server,
        httpx.Client(base_url=server.base_url, headers=headers) as http,
    ):
        sessions = ok(http, "GetChatSessions", {})["chatSessions"]
        assert [s["id"] for s in sessions] == [created["parsedChat"]["id"]]
        stored = ok(http, "GetStoredChatCompletions", {"chat_id": sessions[0]["id"]})
        assert stored["chatCompletions"][0]["completionText"] == "kept"
        found = ok(http, "SearchChatIdsByPromptAndCompletionText", {"search_term": "kept"})
        assert found["chatIds"] == [sessions[0]["id"]]


def test_fast_encoders_match_the_models(client: httpx.Client) -> None:
    """The hot-path encoders (sessions list, stream chunks) give canonical model output."""
    from apex_tui.api import models as m

    new_chat(client, "fast path", chat_type="gravity")
    new_chat(client, "second")
    data = ok(client, "GetChatSessions", {})
    assert m.GetChatSessionsResponse.from_wire(data).to_wire() == data
    from .conftest import chat_body, stream

    for chunk in stream(client, chat_body("Explain TCP")).chunks:
        assert m.ChatCompletionChunkResponse.from_wire(chunk).to_wire() == chunk
