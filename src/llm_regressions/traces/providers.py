"""Provider names -> litellm's model prefixes, and whether litellm can route a model
string. One table for every reader and for promotion, decided without importing litellm
(it is heavy: the plugin imports it only when a call is about to be made).

litellm routes ``<provider>/<model>`` by its provider prefix, and a bare name only when
its own model list holds it (``gpt-4o-mini``, ``claude-sonnet-4-5``...). The prefixes
are litellm's ``provider_list`` plus its JSON-configured OpenAI-compatible providers
(as of litellm 1.110, checked against the installed litellm by
tests/test_model_routing.py; an older litellm lacks some newer prefixes, and a case naming
one fails at replay with litellm's own error).
The bare-name rule accepts the families that list routes; it cannot know which of their
retired snapshots litellm has dropped, so it errs towards accepting.
"""

from __future__ import annotations

import re
from typing import Any

#: The litellm release whose prefixes PROVIDERS lists.
PROVIDERS_AS_OF = (1, 110)

PROVIDERS = frozenset(
    """
    a2a a2a_agent abliteration ai21 ai21_chat aiand aihubmix aiml aiohttp_openai
    amazon_nova anthropic anthropic_text apertis assemblyai auto_router aws_polly
    aws_textract azure azure_ai azure_speech azure_text baseten bedrock
    bedrock_mantle bespoke bigmodel black_forest_labs bytez cerebras charity_engine
    chatgpt chutes clarifai clf_ai_gateway cloudflare codestral cognition cohere
    cohere_chat cometapi compactifai coralbricks cortecs crusoe cursor custom
    custom_openai darkbloom dashscope databricks databricks_agent datarobot deepgram
    deepinfra deepseek docker_model_runner dotprompt edenai elevenlabs empiriolabs
    empower eu_jev fal_ai featherless_ai fireworks_ai friendliai galadriel gdc
    gemini gigachat github github_copilot gmi gradient_ai groq helicone heroku
    hosted_vllm hostinger_router huggingface humanloop hyperbolic inception
    inferenceapis infinity jina_ai kyma lambda_ai langflow langfuse langgraph laya
    lemonade libertai litellm_agent litellm_proxy llamafile llamagate lm_studio
    manus maritalk meta meta_llama microsoft_365_copilot milvus minimax mistral
    modelscope mongodb moonshot morph nace nadir nano-gpt nebius neosantara
    nlp_cloud novita nscale nvidia_nim nvidia_riva oci ollama ollama_chat oobabooga
    openai openai_like opencode_go openinfer openrouter opensearch ovhcloud
    parallel_ai parasail perplexity petals pg_vector pinstripes poe predibase prism
    publicai qwen_ai_platform qwencloud ragflow recraft reducto refuseless reka
    replicate runwayml s3_vectors sagemaker sagemaker_chat sagemaker_nova sail
    sambanova sap sarvam scaledown scaleway scx-ai snowflake soniox stability
    strands_decider streamlake synthetic tencent tensormesh
    text-completion-codestral text-completion-inception text-completion-openai
    together_ai topaz transcribe triton typesafe v0 valkey veniceai
    vercel_ai_gateway vertex_ai vertex_ai_beta vllm volcengine voyage wally wandb
    watsonx watsonx_text xai xiaomi_mimo xinference zai zerogpu
    """.split()
)
#: How SDKs and conventions spell providers whose litellm prefix is spelled otherwise
#: (OTel GenAI ``gen_ai.provider.name``/``gen_ai.system``, OpenInference ``llm.provider``
#: / ``llm.system``, LangChain ``ls_provider``, Vercel ``ai.model.provider``). ``google``
#: (OpenInference, google-genai, ADK, the AI SDK) is the Gemini API, those SDKs' default.
ALIASES = {
    "aws": "bedrock",
    "aws.bedrock": "bedrock",
    "amazon-bedrock": "bedrock",
    "amazon_bedrock": "bedrock",
    "bedrock_converse": "bedrock",
    "azure_openai": "azure",
    "azure-openai": "azure",
    "azure.ai.openai": "azure",
    "az.ai.openai": "azure",
    "azure.ai.inference": "azure_ai",
    "az.ai.inference": "azure_ai",
    "google": "gemini",
    "google_genai": "gemini",
    "google-genai": "gemini",
    "google.generative-ai": "gemini",
    "gcp.gemini": "gemini",
    "vertex": "vertex_ai",
    "vertexai": "vertex_ai",
    "google_vertexai": "vertex_ai",
    "google.vertex": "vertex_ai",
    "gcp.vertex_ai": "vertex_ai",
    "ibm.watsonx.ai": "watsonx",
    "mistralai": "mistral",
    "mistral_ai": "mistral",
    "together": "together_ai",
    "togetherai": "together_ai",
    "fireworks": "fireworks_ai",
    "x_ai": "xai",
}
#: Bare names litellm's model list routes: OpenAI (gpt-, fine-tunes, o-series),
#: Anthropic, Gemini (through Vertex AI), Cohere, AI21, and Bedrock model ids.
_BARE = re.compile(
    r"(?:gpt-|ft:gpt-|o[134](?:-|$)|claude-|gemini-|command-|jamba-"
    r"|(?:(?:us|eu|apac|global|au|jp)\.)?(?:anthropic|amazon|meta|mistral)\.)"
)


def litellm_prefix(provider: Any) -> str | None:
    """litellm's prefix for a provider name in any SDK's spelling; dotted suffixes are
    cut off (``openai.responses`` -> ``openai``, ``google.vertex.chat`` -> ``vertex_ai``).
    None when litellm has no such provider."""
    if not isinstance(provider, str):
        return None
    name = provider.strip().lower()
    while name:
        found = ALIASES.get(name, name if name in PROVIDERS else None)
        if found:
            return found
        name = name.rpartition(".")[0]
    return None


def split(model: str) -> tuple[str | None, str]:
    """``openai/gpt-4o`` -> (``openai``, ``gpt-4o``); a name whose first segment is no
    provider (an ARN, ``my-org/model``) -> (None, the name)."""
    prefix, slash, rest = model.partition("/")
    return (prefix, rest) if slash and prefix in PROVIDERS else (None, model)


def routable(model: str) -> bool:
    """Whether litellm can send a request for ``model`` as it is written."""
    prefix, slash, _ = model.partition("/")
    return prefix in PROVIDERS if slash else bool(_BARE.match(model))


def unroutable(model: str, provider: str | None) -> str:
    """Why ``model`` cannot be replayed, and how to fix the trace."""
    prefix, slash, _ = model.partition("/")
    if slash:
        why = f"{prefix!r} is not a litellm provider"
    else:
        recorded = (
            f"names the provider {provider!r}, which litellm does not know"
            if provider
            else "records no provider (such as gen_ai.provider.name)"
        )
        why = f"litellm routes only the bare names it knows, and the trace {recorded}"
    return f"model {model!r} cannot be replayed: {why}. Edit the trace {_how_to_write(model)}"


def unroutable_case(model: str) -> str:
    """Why a case's model cannot be sent, and how to fix the case (no trace to blame)."""
    prefix, slash, _ = model.partition("/")
    why = (
        f"{prefix!r} is not a litellm provider"
        if slash
        else "it has no provider prefix and litellm does not know the bare name"
    )
    return f"{model!r} cannot be sent through litellm: {why}. Write it {_how_to_write(model)}"


def _how_to_write(model: str) -> str:
    return (
        f"so the model reads <provider>/<model>, e.g. 'openai/{model}' for an "
        "OpenAI-compatible server (replay it with --llm-api-base URL), or "
        "'hosted_vllm/...', 'anthropic/...'"
    )
