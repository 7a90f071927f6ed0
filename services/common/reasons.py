"""The catalogue of error reasons: every `ErrorInfo.reason` the mesh answers with, and when.

One place, so that a client (or a test) can rely on a reason meaning the same from
every service, and a new reason is a reviewed line here, not a string literal at a
raise site (tests/foundation/test_reasons.py fails on an uncatalogued literal).
A `StrEnum`: members compare and serialise as their UPPER_SNAKE text.
"""

from __future__ import annotations

from enum import StrEnum, unique


@unique
class Reason(StrEnum):
    """UPPER_SNAKE reasons of the domain `personamesh.dev` (see services/common/errors.py)."""

    # -- the request could not be read --------------------------------------------------------------
    MALFORMED_REQUEST = "MALFORMED_REQUEST"  #: gRPC request bytes that are not the method's protobuf message
    INVALID_UTF8 = "INVALID_UTF8"  #: a string field (protobuf or JSON) that is not valid UTF-8; names the field
    INVALID_JSON = "INVALID_JSON"  #: an HTTP body or WebSocket frame that is not JSON
    WRONG_TYPE = "WRONG_TYPE"  #: a JSON value of the wrong type (HTTP, WebSocket)
    MISSING_FIELD = "MISSING_FIELD"  #: a required JSON field is absent (HTTP)
    UNKNOWN_FIELD = "UNKNOWN_FIELD"  #: a JSON field the API does not have (HTTP)
    UNKNOWN_VALUE = "UNKNOWN_VALUE"  #: a JSON value outside its literal/enum set (HTTP)
    TOO_LONG = "TOO_LONG"  #: a JSON string or list over its declared length (HTTP)
    INVALID_REQUEST = "INVALID_REQUEST"  #: any other schema violation of an HTTP body
    BODY_TOO_LARGE = "BODY_TOO_LARGE"  #: an HTTP body over the gateway's byte limit
    BINARY_NOT_SUPPORTED = "BINARY_NOT_SUPPORTED"  #: a binary WebSocket frame
    UNKNOWN_TYPE = "UNKNOWN_TYPE"  #: a WebSocket message of an unknown `type`
    MISSING_REQUEST = "MISSING_REQUEST"  #: Abi Route/CheckPolicy without its inner request
    MISSING_REQUEST_ID = "MISSING_REQUEST_ID"  #: feedback that names no request id
    MISSING_ID = "MISSING_ID"  #: an index record or document without its id
    MISSING_RECORD = "MISSING_RECORD"  #: an index Store call without its record
    # -- text and ids ---------------------------------------------------------------------------------
    EMPTY_CONTENT = "EMPTY_CONTENT"  #: a chat message with no text
    EMPTY_TEXT = "EMPTY_TEXT"  #: an index text or knowledge document with no text
    NO_TEXTS = "NO_TEXTS"  #: an Embed call with no texts
    NO_DOCUMENTS = "NO_DOCUMENTS"  #: a knowledge upsert with no documents
    NO_IDS = "NO_IDS"  #: an index DeleteConversations call naming no record
    CONTENT_TOO_LONG = "CONTENT_TOO_LONG"  #: chat content over the character limit
    TEXT_TOO_LONG = "TEXT_TOO_LONG"  #: an index text over the character limit
    COMMENT_TOO_LONG = "COMMENT_TOO_LONG"  #: a feedback comment over the character limit
    CONTEXT_TOO_LARGE = "CONTEXT_TOO_LARGE"  #: a chat request's context map over its limits
    FIELD_TOO_LONG = "FIELD_TOO_LONG"  #: an id or name field over its character limit (personas, index)
    ID_TOO_LONG = "ID_TOO_LONG"  #: a request, user, session or document id over its limit
    INVALID_ID = "INVALID_ID"  #: an id with unprintable characters or surrounding blanks
    INVALID_CHARACTERS = "INVALID_CHARACTERS"  #: text with NUL (or other refused) characters
    INVALID_CONTENT = "INVALID_CONTENT"  #: chat content the gateway cannot accept (not text)
    INVALID_TEXT = "INVALID_TEXT"  #: index text the index cannot accept
    METADATA_TOO_LARGE = "METADATA_TOO_LARGE"  #: persona request metadata over its entry or size limit
    METADATA_TOO_LONG = "METADATA_TOO_LONG"  #: an Abi request metadata entry over its size limit
    TOO_MANY_METADATA = "TOO_MANY_METADATA"  #: an Abi request with too many metadata entries
    TOO_MANY_TURNS = "TOO_MANY_TURNS"  #: more earlier turns than accepted
    TURNS_TOO_LONG = "TURNS_TOO_LONG"  #: earlier turns whose text is over the limit in total
    TOO_MANY_TEXTS = "TOO_MANY_TEXTS"  #: an Embed call over the texts-per-call limit
    TOO_MANY_DOCUMENTS = "TOO_MANY_DOCUMENTS"  #: a knowledge upsert over the documents-per-call limit
    TOO_MANY_IDS = "TOO_MANY_IDS"  #: an index DeleteConversations call over the ids-per-call limit
    DUPLICATE_SOURCE = "DUPLICATE_SOURCE"  #: one knowledge upsert naming a source twice
    UNKNOWN_FORMAT = "UNKNOWN_FORMAT"  #: a knowledge document in a format the chunker does not know
    LAST_MESSAGE_NOT_USER = "LAST_MESSAGE_NOT_USER"  #: an OpenAI-style chat whose last message is not the user's
    # -- values out of their range --------------------------------------------------------------------
    OUT_OF_RANGE = "OUT_OF_RANGE"  #: a number outside its documented range
    K_OUT_OF_RANGE = "K_OUT_OF_RANGE"  #: a search `k` outside 1..limit
    RATING_OUT_OF_RANGE = "RATING_OUT_OF_RANGE"  #: a feedback rating outside its scale
    MAX_TOKENS_OUT_OF_RANGE = "MAX_TOKENS_OUT_OF_RANGE"  #: (gateway) max_tokens outside 1..limit
    TEMPERATURE_OUT_OF_RANGE = "TEMPERATURE_OUT_OF_RANGE"  #: (gateway) temperature outside [0, 2]
    INVALID_MAX_TOKENS = "INVALID_MAX_TOKENS"  #: (persona) max_tokens outside 1..limit
    INVALID_TEMPERATURE = "INVALID_TEMPERATURE"  #: (persona) temperature outside [0, 2]
    INVALID_VECTOR = "INVALID_VECTOR"  #: a vector with non-finite values
    WRONG_VECTOR_DIMENSION = "WRONG_VECTOR_DIMENSION"  #: a vector whose length is not the model's dimension
    INVALID_TIMESTAMP = "INVALID_TIMESTAMP"  #: a timestamp that is negative or not finite
    INVALID_TIME_WINDOW = "INVALID_TIME_WINDOW"  #: a memory query whose window ends before it starts
    INVALID_ROUTING = "INVALID_ROUTING"  #: a routing decision with a score or confidence out of range
    INVALID_ADDRESS = "INVALID_ADDRESS"  #: a replica address that is not host:port
    # -- names that are not known ---------------------------------------------------------------------
    UNKNOWN_ENUM_VALUE = "UNKNOWN_ENUM_VALUE"  #: a protobuf enum number the contract does not define
    UNKNOWN_PERSONA = "UNKNOWN_PERSONA"  #: a persona name or number no registry entry has
    PERSONA_NOT_ROUTABLE = "PERSONA_NOT_ROUTABLE"  #: a forced persona that routing may not choose
    UNKNOWN_ROLE = "UNKNOWN_ROLE"  #: a chat role (or API key role) that does not exist
    INVALID_ROLE = "INVALID_ROLE"  #: a turn role that is not allowed where it stands
    MODEL_NOT_FOUND = "MODEL_NOT_FOUND"  #: an OpenAI-style `model` that names no persona (404, as OpenAI answers)
    INVALID_PERSONA_NAME = "INVALID_PERSONA_NAME"  #: a persona name longer than names may be
    PERSONA_EXISTS = "PERSONA_EXISTS"  #: registering a persona under a name that is taken
    PERSONA_REQUIRED = "PERSONA_REQUIRED"  #: deregistering the default or the support persona
    UNSUPPORTED_PARAMETER = "UNSUPPORTED_PARAMETER"  #: an OpenAI parameter the mesh cannot honour (n > 1, tools)
    INVALID_STOP = "INVALID_STOP"  #: more than 4 stop sequences, or an empty or overlong one
    UNKNOWN_FLAG = "UNKNOWN_FLAG"  #: a config API flag that does not exist
    UNKNOWN_DIRECTION = "UNKNOWN_DIRECTION"  #: a rules change with an unknown direction
    UNKNOWN_REPLICA = "UNKNOWN_REPLICA"  #: a config API replica that is not registered
    UNKNOWN_REQUEST_ID = "UNKNOWN_REQUEST_ID"  #: feedback for a request this gateway never answered
    NOT_FOUND = "NOT_FOUND"  #: an HTTP path that does not exist
    METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"  #: an HTTP method the path does not take
    HTTP_ERROR = "HTTP_ERROR"  #: any other HTTP-level refusal by the web framework
    # -- rules (Abi) ----------------------------------------------------------------------------------
    RULES_INVALID = "RULES_INVALID"  #: a rules document that does not validate
    RULES_TOO_LARGE = "RULES_TOO_LARGE"  #: a rules document over the byte limit
    RULES_VERSION_CONFLICT = "RULES_VERSION_CONFLICT"  #: a rules change based on an outdated version
    # -- who may call ---------------------------------------------------------------------------------
    INVALID_API_KEY = "INVALID_API_KEY"  #: a missing or unknown API key at the gateway
    ROLE_REQUIRED = "ROLE_REQUIRED"  #: a call that needs a role the caller does not have
    USER_MISMATCH = "USER_MISMATCH"  #: a call about a user other than the one its token is signed for
    NOT_YOUR_REQUEST = "NOT_YOUR_REQUEST"  #: feedback on someone else's request
    NOT_YOUR_DATA = "NOT_YOUR_DATA"  #: erasing or overwriting another user's data
    INTERNAL_TOKEN_MISSING = "INTERNAL_TOKEN_MISSING"  #: an internal call without the gateway's signed token
    INTERNAL_TOKEN_INVALID = "INTERNAL_TOKEN_INVALID"  #: an internal token whose signature does not verify
    INTERNAL_TOKEN_EXPIRED = "INTERNAL_TOKEN_EXPIRED"  #: an internal token past its lifetime
    # -- limits (RESOURCE_EXHAUSTED, with QuotaFailure and RetryInfo) ---------------------------------
    USER_RATE_LIMITED = "USER_RATE_LIMITED"  #: a user over their request rate
    PERSONA_AT_CAPACITY = "PERSONA_AT_CAPACITY"  #: a persona's concurrency limit and queue are full
    QUEUE_FULL = "QUEUE_FULL"  #: too many WebSocket messages waiting for answers
    # -- time -----------------------------------------------------------------------------------------
    DEADLINE_TOO_SHORT = "DEADLINE_TOO_SHORT"  #: a deadline that leaves a persona no time to answer
    # -- dependencies ---------------------------------------------------------------------------------
    NOT_READY = "NOT_READY"  #: a service still warming up (UNAVAILABLE)
    GATEWAY_DRAINING = "GATEWAY_DRAINING"  #: the gateway is shutting down: a WebSocket message it will not answer
    ABI_UNAVAILABLE = "ABI_UNAVAILABLE"  #: the gateway cannot reach Abi for a config call
    NO_PERSONA_AVAILABLE = "NO_PERSONA_AVAILABLE"  #: every replica and fallback persona failed
    STREAM_INTERRUPTED = "STREAM_INTERRUPTED"  #: a stream failed after text was sent (no silent success)
    REJECTED_BY_SERVICE = "REJECTED_BY_SERVICE"  #: an internal service refused without a reason of its own
    UPSTREAM_ERROR = "UPSTREAM_ERROR"  #: an HTTP call failed on an internal gRPC call
    INTERNAL = "INTERNAL"  #: an unexpected failure (HTTP, WebSocket); details only in the log
    # -- generation (personas) ------------------------------------------------------------------------
    GENERATION_FAILED = "GENERATION_FAILED"  #: the model backend failed for another reason
    GENERATION_UNAVAILABLE = "GENERATION_UNAVAILABLE"  #: every model target is down or its breaker open
    GENERATION_INTERRUPTED = "GENERATION_INTERRUPTED"  #: a model stream broke off mid-answer
    GENERATION_REJECTED = "GENERATION_REJECTED"  #: the model endpoint refused the request (4xx)
    GENERATION_DEADLINE_EXCEEDED = "GENERATION_DEADLINE_EXCEEDED"  #: the model did not answer in time
    HTTP_STATUS = "HTTP_STATUS"  #: (one model target) an HTTP error status; logged, then the next target
    BAD_RESPONSE = "BAD_RESPONSE"  #: (one model target) an unreadable answer; logged, then the next target
    TIMEOUT = "TIMEOUT"  #: (one model target) no (first) token in time; logged, then the next target
    CONNECTION = "CONNECTION"  #: (one model target) cannot connect; logged, then the next target
    TRUNCATED = "TRUNCATED"  #: (one model target) a stream that ended without a finish reason
    # -- gateway stream events (not errors: why the streamed text restarts) ---------------------------
    FALLBACK_ANSWER = "FALLBACK_ANSWER"  #: the text so far is discarded; a fallback persona answers
    OUTPUT_CHECKED = "OUTPUT_CHECKED"  #: the text so far is replaced by its output-checked version
