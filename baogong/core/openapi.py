"""OpenAPI post-processing: every operation documents the shared error answers."""

from __future__ import annotations

from typing import Any

ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "code": {"type": "string"},
        "message": {"type": "string"},
        "details": {},
    },
    "required": ["code", "message", "details"],
}

COMMON = {
    "400": "Invalid input / 输入有误",
    "401": "Not authenticated / 未认证",
    "403": "Forbidden / 无权操作",
    "404": "Not found (or outside your organisations) / 未找到",
    "429": "Too many requests, see Retry-After / 请求过于频繁",
}
WRITE = {
    "409": "Conflict (state or stock) / 冲突",
    "422": "Idempotency-Key reused with another body / 幂等键冲突",
}


def add_error_responses(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    ref = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses = operation.setdefault("responses", {})
            codes = dict(COMMON)
            if method != "get":
                codes |= WRITE
            for code, description in codes.items():
                responses.setdefault(code, {"description": description, "content": ref})
            if method == "post":
                params = operation.setdefault("parameters", [])
                if not any(p.get("name") == "Idempotency-Key" for p in params):
                    params.append(
                        {
                            "name": "Idempotency-Key",
                            "in": "header",
                            "required": False,
                            "schema": {"type": "string", "maxLength": 255},
                            "description": "Retries with the same key and body are answered once.",
                        }
                    )
    return result
