"""Group robots and e-mail: the message each platform takes, signed and trimmed to its limit.

Pure functions plus one HTTP post; :mod:`baogong.core.deliveries` decides when and retries.

Limits (checked 2026-12; see docs/operations.md "Notifications" for the sources):

- WeCom (企业微信群机器人): ``markdown.content`` at most 4096 bytes UTF-8, ``text.content`` at most
  2048 bytes (developer.work.weixin.qq.com/document/path/91770).
- DingTalk (钉钉自定义机器人): we keep the markdown ``text`` under 20 000 bytes, the request
  limit DingTalk's custom-robot page states; 加签: ``base64(HMAC-SHA256(key=secret,
  msg=f"{timestamp_ms}\\n{secret}"))``, URL-encoded, sent as ``&timestamp=…&sign=…``
  (open.dingtalk.com/document/robots/customize-robot-security-settings).
- Feishu (飞书自定义机器人): the request body at most 20 KB; 签名校验: ``base64(HMAC-SHA256(
  key=f"{timestamp_s}\\n{secret}", msg=b""))`` sent as ``timestamp`` and ``sign`` in the body
  (open.feishu.cn/document/client-docs/bot-v3/add-custom-bot).
- E-mail: the subject on one line of at most 200 characters; the text at most 100 000 characters.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

WECOM_MARKDOWN_BYTES = 4096
WECOM_TEXT_BYTES = 2048
DINGTALK_TEXT_BYTES = 20_000
FEISHU_BODY_BYTES = 20 * 1024
EMAIL_SUBJECT_CHARS = 200
EMAIL_BODY_CHARS = 100_000
MORE = "\n…（全文见链接 / full text at the link）"
TIMEOUT = 5


@dataclass(frozen=True)
class Message:
    title: str
    body: str
    link: str = ""
    mentions: tuple[str, ...] = ()  # mobile numbers


class Refused(Exception):
    """The platform answered, but not with success (a wrong key, a bad signature, rate limit)."""


def fit_bytes(text: str, limit: int, suffix: str = MORE) -> str:
    """``text`` cut (at a character, never inside one) so that it fits ``limit`` bytes of UTF-8."""
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    room = max(0, limit - len(suffix.encode("utf-8")))
    return data[:room].decode("utf-8", errors="ignore") + suffix


def _markdown(message: Message, budget: int) -> str:
    head = f"### {message.title}\n\n"
    tail = f"\n\n[{message.link}]({message.link})" if message.link else ""
    room = budget - len(head.encode()) - len(tail.encode())
    return head + fit_bytes(message.body, max(room, 0)) + tail


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's 加签: base64 of HMAC-SHA256 (key: the secret) over "timestamp\\nsecret"."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def feishu_sign(secret: str, timestamp_s: int) -> str:
    """Feishu's 签名校验: base64 of HMAC-SHA256 keyed with "timestamp\\nsecret" over nothing."""
    digest = hmac.new(f"{timestamp_s}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def wecom_request(url: str, message: Message) -> tuple[str, dict[str, Any]]:
    if message.mentions:  # @ by mobile number works in text messages only
        text = fit_bytes(f"{message.title}\n{message.body}" + (f"\n{message.link}" if message.link else ""), 2000)
        return url, {"msgtype": "text", "text": {"content": text, "mentioned_mobile_list": list(message.mentions)}}
    return url, {"msgtype": "markdown", "markdown": {"content": _markdown(message, WECOM_MARKDOWN_BYTES)}}


def dingtalk_request(
    url: str, message: Message, secret: str = "", now: float | None = None
) -> tuple[str, dict[str, Any]]:
    text = _markdown(message, DINGTALK_TEXT_BYTES - 200)
    if message.mentions:
        text += "\n\n" + " ".join(f"@{m}" for m in message.mentions)
    payload = {
        "msgtype": "markdown",
        "markdown": {"title": message.title[:64], "text": text},
        "at": {"atMobiles": list(message.mentions), "isAtAll": False},
    }
    if secret:
        stamp = int((time.time() if now is None else now) * 1000)
        sign = urllib.parse.quote_plus(dingtalk_sign(secret, stamp))
        url = f"{url}{'&' if '?' in url else '?'}timestamp={stamp}&sign={sign}"
    return url, payload


def feishu_request(
    url: str, message: Message, secret: str = "", now: float | None = None
) -> tuple[str, dict[str, Any]]:
    payload: dict[str, Any] = {"msg_type": "text", "content": {"text": ""}}
    if secret:
        stamp = int(time.time() if now is None else now)
        payload = {"timestamp": str(stamp), "sign": feishu_sign(secret, stamp), **payload}
    mentions = "".join('<at user_id="all">所有人</at>' for m in message.mentions if m == "all")
    envelope = len(json.dumps(payload, ensure_ascii=False).encode()) + 64
    text = f"{message.title}\n{message.body}"
    tail = (f"\n{message.link}" if message.link else "") + mentions
    # JSON escapes (\n, quotes) grow the text: keep a margin of an eighth
    budget = (FEISHU_BODY_BYTES - envelope) * 7 // 8 - len(tail.encode())
    payload["content"]["text"] = fit_bytes(text, budget) + tail
    return url, payload


def email_parts(message: Message) -> tuple[str, str]:
    subject = " ".join(message.title.split())[:EMAIL_SUBJECT_CHARS]
    body = message.body if len(message.body) <= EMAIL_BODY_CHARS else message.body[:EMAIL_BODY_CHARS] + MORE
    return subject, body + (f"\n\n{message.link}" if message.link else "")


def robot_request(kind: str, url: str, message: Message, secret: str = "") -> tuple[str, bytes]:
    """The URL to post to and the JSON body, for a ``wecom``, ``dingtalk`` or ``feishu`` robot."""
    if kind == "dingtalk":
        url, payload = dingtalk_request(url, message, secret)
    elif kind == "feishu":
        url, payload = feishu_request(url, message, secret)
    else:
        url, payload = wecom_request(url, message)
    return url, json.dumps(payload, ensure_ascii=False).encode("utf-8")


def post(url: str, body: bytes, timeout: float = TIMEOUT) -> str:
    """Post ``body``; the platform's answer (shortened) when it says success, else ``Refused`` or
    the network error. WeCom and DingTalk answer ``errcode`` 0, Feishu ``code`` 0."""
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})  # noqa: S310
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - URL set by an administrator
        answer = response.read(4096).decode("utf-8", errors="replace")
    try:
        parsed = json.loads(answer) if answer.strip() else {}
    except ValueError:
        parsed = {}
    code = parsed.get("errcode", parsed.get("code", parsed.get("StatusCode", 0))) if isinstance(parsed, dict) else 0
    if code not in (0, "0", None):
        raise Refused(answer[:200])
    return answer[:200]
