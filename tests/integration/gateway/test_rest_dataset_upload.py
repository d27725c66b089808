"""A dataset uploaded over REST through Envoy: the transcoder maps a client-streaming RPC to a JSON
array of its request messages (the file's bytes base64-encoded in `chunk`), and errors read as JSON;
its bars read back as a server stream, one JSON message per line."""

from __future__ import annotations

import base64
import json

import pytest

from .front_door_clients import new_person

pytestmark = pytest.mark.integration

CSV = (
    "timestamp,open,high,low,close,volume\n"
    + "".join(
        f"2024-01-{day:02d},{100 + day},{101 + day},{99 + day},{100.5 + day},{1000 + day}\n"
        for day in range(1, 29)
    )
).encode()


def _upload_body(content: bytes, name: str) -> str:
    messages = [{"metadata": {"displayName": name, "format": "DATASET_FORMAT_CSV", "defaultSymbol": "REST"}}]
    messages += [{"chunk": base64.b64encode(content[start : start + 300]).decode()}
                 for start in range(0, len(content), 300)]  # fmt: skip
    return json.dumps(messages)


def test_a_csv_uploaded_over_rest_is_stored_and_readable(mesh, root):
    trader = new_person(mesh, root, label="rest-upload")
    with mesh.http() as client:
        response = client.post(
            "/v1/datasets:upload", content=_upload_body(CSV, "rest upload"), headers=trader.headers
        )
        assert response.status_code == 200, response.text
        dataset = response.json()["dataset"]
        assert dataset["rowCount"] == "28"
        assert dataset["symbols"] == ["REST"]
        fetched = client.get(f"/v1/datasets/{dataset['id']}", headers=trader.headers)
        assert fetched.status_code == 200
        assert fetched.json()["dataset"]["contentHash"] == dataset["contentHash"]


def test_a_broken_csv_over_rest_is_a_400_naming_the_line(mesh, root):
    trader = new_person(mesh, root, label="rest-upload-bad")
    broken = CSV.replace(b"2024-01-05,105,106,104", b"2024-01-05,105,96,104")  # high below low
    with mesh.http() as client:
        response = client.post(
            "/v1/datasets:upload", content=_upload_body(broken, "broken"), headers=trader.headers
        )
    assert response.status_code == 400
    assert "line[" in response.text


def _lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_a_datasets_bars_stream_over_rest_to_their_owner_only(mesh, root):
    owner = new_person(mesh, root, label="rest-bars")
    other = new_person(mesh, root, label="rest-bars-other")
    with mesh.http() as client:
        response = client.post(
            "/v1/datasets:upload", content=_upload_body(CSV, "rest bars"), headers=owner.headers
        )
        assert response.status_code == 200, response.text
        dataset_id = response.json()["dataset"]["id"]
        path = f"/v1/datasets/{dataset_id}/bars"
        window = client.get(
            path, params={"startTime": "2024-01-05T00:00:00Z", "maxBars": "3"}, headers=owner.headers
        )
        assert window.status_code == 200, window.text
        bars = [bar for message in _lines(window.text) for bar in message["bars"]]
        assert [bar["close"] for bar in bars] == [105.5, 106.5, 107.5]
        assert [bar["time"] for bar in bars] == [f"2024-01-{day:02d}T00:00:00Z" for day in (5, 6, 7)]
        assert {bar["symbol"] for bar in bars} == {"REST"}
        everything = client.get(path, headers=owner.headers)
        assert sum(len(message["bars"]) for message in _lines(everything.text)) == 28
        assert client.get(path, headers=other.headers).status_code == 404
        refused = client.get(path, params={"symbol": "OTHER"}, headers=owner.headers)
        assert refused.status_code == 400
        assert "symbol" in refused.text
