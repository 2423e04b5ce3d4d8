"""InstanceRecord keeps in step with the instances table and survives the wire."""

from __future__ import annotations

import dataclasses
import typing

import orjson
import pytest

from nimbostack.compute.db.models import Instance
from nimbostack.compute.instance_record import BlockDevice, InstanceRecord
from nimbostack.compute.network_info import Vif, VifIp, VifNetwork
from nimbostack.compute.objects.instances import to_record
from nimbostack.core.rpc import MalformedMessage


def _columns() -> dict[str, str]:
    """Column name -> the model attribute holding it."""
    return {prop.columns[0].name: prop.key for prop in Instance.__mapper__.column_attrs}


# Fields that come from other tables than ``instances``.
_JOINED = {"block_device_mappings"}


def test_one_field_per_column() -> None:
    fields = {f.name for f in dataclasses.fields(InstanceRecord)}
    assert fields == set(_columns()) | _JOINED


def test_field_types_match_the_model() -> None:
    model = typing.get_type_hints(Instance)
    record = typing.get_type_hints(InstanceRecord)
    for column, attr in _columns().items():
        if column == "network_info":
            # Stored as the JSON of its Vifs, typed on the record.
            assert record[column] == list[Vif]
            assert typing.get_args(model[attr])[0] == list[typing.Any]
            continue
        assert record[column] == typing.get_args(model[attr])[0], column


def _row() -> Instance:
    return Instance(
        uuid="u-1", display_name="vm", description=None, hostname="vm", project_id="p",
        user_id="u", image_ref="img", flavor={"vcpus": 1}, old_flavor=None, new_flavor=None,
        vm_state="active", task_state=None, power_state=1, host="h1", node="n1",
        availability_zone=None, key_name=None, key_data=None, user_data=None,
        config_drive=False, metadata_={"k": "v"}, system_metadata={}, tags=["t"],
        request_spec={}, network_info=[], locked=False, locked_by=None, locked_reason=None,
        progress=0, reservation_id="r-1", launch_index=0, access_ip_v4=None,
        access_ip_v6=None, created_at=1.0, updated_at=None, launched_at=None,
        terminated_at=None, deleted_at=None, deleted=False,
    )  # fmt: skip


def test_a_record_round_trips_through_json() -> None:
    record = to_record(_row())
    assert record.metadata == {"k": "v"}
    assert InstanceRecord.from_wire(orjson.loads(orjson.dumps(record))) == record


def test_network_info_travels_typed() -> None:
    row = _row()
    vif = Vif(
        id="port-1",
        address="fa:16:3e:00:00:01",
        network=VifNetwork("net-1", "private"),
        ips=[VifIp("10.0.0.5", 4, "sub-1")],
        type="bridge",
        details={"bridge_name": "brqnet-1"},
    )
    row.network_info = [vif.to_json()]
    record = to_record(row)
    assert record.network_info == [vif]
    assert InstanceRecord.from_wire(orjson.loads(orjson.dumps(record))).network_info == [vif]


def test_block_devices_round_trip_typed() -> None:
    device = BlockDevice(
        uuid="b-1", volume_id="v-1", attachment_id="a-1", device_name="/dev/vdb", tag="t",
        delete_on_termination=True, status="attached",
        connection_info={"driver_volume_type": "file", "data": {"path": "/x"}},
    )  # fmt: skip
    record = to_record(_row(), (device,))
    back = InstanceRecord.from_wire(orjson.loads(orjson.dumps(record)))
    assert back == record
    assert isinstance(back.block_device_mappings[0], BlockDevice)


def test_a_malformed_block_device_is_refused() -> None:
    wire = {**dataclasses.asdict(to_record(_row())), "block_device_mappings": ["x"]}
    with pytest.raises(MalformedMessage, match="block device"):
        InstanceRecord.from_wire(wire)


def test_fields_a_newer_conductor_adds_are_ignored() -> None:
    wire = {**dataclasses.asdict(to_record(_row())), "ports": []}
    assert InstanceRecord.from_wire(wire).uuid == "u-1"


def test_a_record_missing_a_field_is_refused() -> None:
    wire = dataclasses.asdict(to_record(_row()))
    del wire["vm_state"]
    with pytest.raises(MalformedMessage, match="vm_state"):
        InstanceRecord.from_wire(wire)
