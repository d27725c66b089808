"""Per owner: another user's dataset is NOT_FOUND on every RPC; lists page with keyset tokens."""

from __future__ import annotations

import grpc
import pytest

from alphintra.common.v1 import bar_pb2
from alphintra.trainer.v1 import dataset_service_pb2 as messages
from tests.integration.trainer.datasets.helpers import (
    ACME_ADMIN,
    ALICE,
    BOB,
    expect_error,
    stored_files,
    upload,
)
from tests.integration.trainer.datasets.test_uploads import csv_bytes, frame

pytestmark = pytest.mark.integration


async def test_another_users_dataset_is_not_found_on_every_rpc(datasets_as):
    alice, bob = datasets_as(ALICE), datasets_as(BOB)
    dataset = (await upload(alice, csv_bytes(frame(10)), default_symbol="A", request_id="mine")).dataset
    not_found = grpc.StatusCode.NOT_FOUND
    await expect_error(bob.GetDataset(messages.GetDatasetRequest(dataset_id=dataset.id)), not_found)
    await expect_error(bob.PreviewDataset(messages.PreviewDatasetRequest(dataset_id=dataset.id)), not_found)
    await expect_error(
        bob.GetDatasetStatistics(messages.GetDatasetStatisticsRequest(dataset_id=dataset.id)), not_found
    )
    await expect_error(bob.DeleteDataset(messages.DeleteDatasetRequest(dataset_id=dataset.id)), not_found)
    listed = await bob.ListDatasets(messages.ListDatasetsRequest())
    assert dataset.id not in {item.id for item in listed.datasets}
    # bob's request id is his own: the same id makes bob a new dataset
    bobs = (await upload(bob, csv_bytes(frame(10)), default_symbol="A", request_id="mine")).dataset
    assert bobs.id != dataset.id
    assert bobs.owner_id == "bob"
    await expect_error(alice.GetDataset(messages.GetDatasetRequest(dataset_id="no-such-id")), not_found)


async def test_an_organisation_admin_reads_but_does_not_delete(datasets_as):
    alice, admin = datasets_as(ALICE), datasets_as(ACME_ADMIN)
    dataset = (await upload(alice, csv_bytes(frame(10)), default_symbol="A")).dataset
    assert (await admin.GetDataset(messages.GetDatasetRequest(dataset_id=dataset.id))).dataset == dataset
    preview = await admin.PreviewDataset(messages.PreviewDatasetRequest(dataset_id=dataset.id, head_rows=2))
    assert len(preview.head) == 2
    await expect_error(
        admin.DeleteDataset(messages.DeleteDatasetRequest(dataset_id=dataset.id)),
        grpc.StatusCode.PERMISSION_DENIED,
    )


async def test_deleting_keeps_a_shared_file_until_its_last_dataset_goes(datasets_as, datasets_artifacts_root):
    alice = datasets_as(ALICE)
    data = csv_bytes(frame(12))
    before = stored_files(datasets_artifacts_root)
    first = (await upload(alice, data, default_symbol="D")).dataset
    second = (await upload(alice, data, default_symbol="D")).dataset
    with_file = stored_files(datasets_artifacts_root)
    assert len(with_file - before) == 1
    await alice.DeleteDataset(messages.DeleteDatasetRequest(dataset_id=first.id))
    assert stored_files(datasets_artifacts_root) == with_file
    await expect_error(
        alice.GetDataset(messages.GetDatasetRequest(dataset_id=first.id)), grpc.StatusCode.NOT_FOUND
    )
    await alice.DeleteDataset(messages.DeleteDatasetRequest(dataset_id=second.id))
    assert stored_files(datasets_artifacts_root) == before
    await expect_error(
        alice.DeleteDataset(messages.DeleteDatasetRequest(dataset_id=second.id)), grpc.StatusCode.NOT_FOUND
    )


async def _all_pages(client, request: messages.ListDatasetsRequest) -> list[list[str]]:
    pages = []
    while True:
        response = await client.ListDatasets(request)
        pages.append([dataset.id for dataset in response.datasets])
        if not response.next_page_token:
            return pages
        request.page_token = response.next_page_token


async def test_lists_page_newest_first_with_filters(datasets_as):
    alice = datasets_as(ALICE)
    created = []
    for index in range(5):
        symbol = "EVEN" if index % 2 == 0 else "ODD"
        hourly = index < 4
        data = frame(8, seed=index, freq="h" if hourly else "D")
        created.append((await upload(alice, csv_bytes(data), default_symbol=symbol)).dataset.id)
    own = messages.DATASET_SCOPE_OWN
    pages = await _all_pages(alice, messages.ListDatasetsRequest(page_size=2, scope=own))
    assert pages == [created[::-1][0:2], created[::-1][2:4], created[::-1][4:]]
    evens = await _all_pages(alice, messages.ListDatasetsRequest(page_size=1, scope=own, symbol="EVEN"))
    assert [ids[0] for ids in evens] == [created[4], created[2], created[0]]
    daily = await alice.ListDatasets(
        messages.ListDatasetsRequest(scope=own, timeframe=bar_pb2.TIMEFRAME_1_DAY)
    )
    assert [dataset.id for dataset in daily.datasets] == [created[4]]
    everything = await alice.ListDatasets(messages.ListDatasetsRequest())
    platform = [dataset for dataset in everything.datasets if dataset.platform]
    assert len(everything.datasets) == 5 + len(platform)
    assert len(platform) >= 2
    first_page = await alice.ListDatasets(messages.ListDatasetsRequest(page_size=2, scope=own))
    await expect_error(
        alice.ListDatasets(
            messages.ListDatasetsRequest(
                page_size=2, scope=own, symbol="ODD", page_token=first_page.next_page_token
            )
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    await expect_error(
        datasets_as(BOB).ListDatasets(
            messages.ListDatasetsRequest(page_size=2, scope=own, page_token=first_page.next_page_token)
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
