"""Chat completion messages: the request (messages, sampling), the unary response and the
streamed chunk (``ChatCompletion`` and ``ChatCompletionStream``; also the request of
``SubmitDeepResearcherJob``).
"""

from __future__ import annotations

from apex_tui.api.models.base import Int64, WireModel


class ChatMessage(WireModel):
    role: str = ""
    content: str = ""


class SamplingParameters(WireModel):
    temperature: float = 0.0
    top_p: float = 0.0
    top_k: float | None = None
    max_new_tokens: Int64 = 0
    do_sample: bool = False


class ChatCompletionRequest(WireModel):
    uids: list[Int64] = []
    messages: list[ChatMessage] = []
    seed: Int64 | None = None
    task: str | None = None
    model: str | None = None
    test_time_inference: bool | None = None
    mixture: bool | None = None
    sampling_parameters: SamplingParameters | None = None
    inference_mode: str | None = None
    json_format: bool | None = None
    stream: bool | None = None
    timeout: Int64 | None = None


class Annotation(WireModel):
    content: str = ""
    role: str = ""


class ChatCompletionAudio(WireModel):
    id: str = ""
    data: str = ""
    expires_at: Int64 = 0
    transcript: str = ""


class FunctionCall(WireModel):
    arguments: list[str] = []
    name: str = ""


class Function(WireModel):
    arguments: list[str] = []
    name: str = ""


class ChatCompletionMessageToolCall(WireModel):
    id: str = ""
    function: Function | None = None
    type: str = ""


class ChatCompletionMessage(WireModel):
    content: str = ""
    refusal: str = ""
    role: str = ""
    annotations: list[Annotation] = []
    audio: ChatCompletionAudio | None = None
    function_call: FunctionCall | None = None
    tool_calls: list[ChatCompletionMessageToolCall] = []


class TopLogprob(WireModel):
    token: str = ""
    bytes: list[Int64] = []
    logprob: float = 0.0


class ChatCompletionTokenLogprob(WireModel):
    token: str = ""
    bytes: list[Int64] = []
    logprob: float = 0.0
    top_logprobs: list[TopLogprob] = []


class ChoiceLogprobs(WireModel):
    content: list[ChatCompletionTokenLogprob] = []
    refusal: list[ChatCompletionTokenLogprob] = []


class Choice(WireModel):
    finish_reason: str = ""
    index: Int64 = 0
    logprobs: ChoiceLogprobs | None = None
    message: ChatCompletionMessage | None = None


class CompletionTokensDetails(WireModel):
    accepted_prediction_tokens: Int64 = 0
    audio_tokens: Int64 = 0
    reasoning_tokens: Int64 = 0
    rejected_prediction_tokens: Int64 = 0


class PromptTokensDetails(WireModel):
    audio_tokens: Int64 = 0
    cached_tokens: Int64 = 0


class CompletionUsage(WireModel):
    completion_tokens: Int64 = 0
    prompt_tokens: Int64 = 0
    total_tokens: Int64 = 0
    completion_tokens_details: CompletionTokensDetails | None = None
    prompt_tokens_details: PromptTokensDetails | None = None


class ChatCompletionResponse(WireModel):
    id: str = ""
    choices: list[Choice] = []
    created: Int64 = 0
    model: str = ""
    object: str = ""
    service_tier: str = ""
    system_fingerprint: str = ""
    usage: CompletionUsage | None = None


class ChoiceDeltaFunctionCall(WireModel):
    arguments: list[str] = []
    name: str = ""


class ChoiceDeltaToolCallFunction(WireModel):
    arguments: list[str] = []
    name: str = ""


class ChoiceDeltaToolCall(WireModel):
    index: Int64 = 0
    id: str = ""
    function: ChoiceDeltaToolCallFunction | None = None
    type: str = ""


class ChoiceDelta(WireModel):
    content: str = ""
    function_call: ChoiceDeltaFunctionCall | None = None
    refusal: str = ""
    role: str = ""
    tool_calls: list[ChoiceDeltaToolCall] = []


class ChunkChoice(WireModel):
    delta: ChoiceDelta | None = None
    finish_reason: str = ""
    index: Int64 = 0
    logprobs: ChoiceLogprobs | None = None


class ChatCompletionChunkResponse(WireModel):
    id: str = ""
    choices: list[ChunkChoice] = []
    created: Int64 = 0
    model: str = ""
    object: str = ""
    service_tier: str = ""
    system_fingerprint: str = ""
    usage: CompletionUsage | None = None

    @property
    def text(self) -> str:
        """The content this chunk adds (all choices' deltas, normally one)."""
        return "".join(c.delta.content for c in self.choices if c.delta is not None)

    @property
    def finish_reason(self) -> str:
        """The first non-empty finish reason, or ``""`` while the answer goes on."""
        return next((c.finish_reason for c in self.choices if c.finish_reason), "")
