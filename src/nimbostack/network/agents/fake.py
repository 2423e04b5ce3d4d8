"""The fake L2 agent: answers the agents' contract on one host and touches nothing there.

It reports itself as a Linux-bridge agent (so the mechanism driver binds ports to its
host), asks for the details of each port the server says changed on its host, and
reports the device up after ``device_delay`` seconds, the time a real agent takes to
wire a tap. It keeps the devices it "wired" and the remote ports it heard of (VXLAN
forwarding entries) in memory, for tests to look at.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging

from nimbostack.core.context import RequestContext
from nimbostack.core.periodic import PeriodicTask
from nimbostack.core.rpc import RpcClient, RpcServer, Transport, handles
from nimbostack.network.agent_messages import (
    L2_AGENT,
    PLUGIN,
    AgentConfiguration,
    DeviceDetails,
    FdbAdd,
    FdbRemove,
    GetDeviceDetails,
    NetworkDelete,
    PortDelete,
    PortUpdate,
    SecurityGroupsChanged,
    UpdateDeviceDown,
    UpdateDeviceUp,
    tap_name,
)
from nimbostack.network.agents import reporting

LOG = logging.getLogger(__name__)


class FakeL2Agent:
    """A Linux-bridge agent in name only: the RPC contract, without devices."""

    def __init__(
        self,
        transport: Transport,
        host: str,
        config: AgentConfiguration,
        *,
        report_interval: float = 30.0,
        device_delay: float = 0.0,
    ) -> None:
        self.host = host
        self.config = config
        self.device_delay = device_delay
        self.report_interval = report_interval
        self.plugin = RpcClient(transport, PLUGIN, timeout=30, service="network-l2-agent")
        self.server = RpcServer(transport, L2_AGENT, self, service="network-l2-agent", host=host)
        self.devices: dict[str, DeviceDetails] = {}
        self.refiltered: list[str] = []
        self.fdb: set[tuple[str, str, str]] = set()  # (network, VTEP, MAC) of remote ports
        self._reports = PeriodicTask(f"l2 agent report {host}", report_interval, self.report)
        self._wiring: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        await self.server.start()
        await self.report(start=True)
        self._reports.start()

    async def stop(self) -> None:
        await self._reports.stop()
        await self.server.stop()
        for task in list(self._wiring):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def report(self, start: bool = False) -> None:
        """Tell the server this agent is alive, with what it can wire."""
        config = dataclasses.replace(self.config, devices=len(self.devices))
        await reporting.report_state(self.plugin, reporting.LINUXBRIDGE, self.host, config, start)

    @handles(PortUpdate)
    async def port_update(self, ctxt: RequestContext, msg: PortUpdate) -> None:
        task = asyncio.create_task(self._wire(msg.port_id), name=f"wire {msg.port_id}")
        self._wiring.add(task)
        task.add_done_callback(self._wiring.discard)

    @handles(PortDelete)
    async def port_delete(self, ctxt: RequestContext, msg: PortDelete) -> None:
        self.devices.pop(tap_name(msg.port_id), None)

    @handles(NetworkDelete)
    async def network_delete(self, ctxt: RequestContext, msg: NetworkDelete) -> None:
        for device, found in list(self.devices.items()):
            if found.network_id == msg.network_id:
                del self.devices[device]

    @handles(SecurityGroupsChanged)
    async def security_groups_changed(
        self, ctxt: RequestContext, msg: SecurityGroupsChanged
    ) -> None:
        self.refiltered.extend(msg.security_group_ids)

    @handles(FdbAdd)
    async def fdb_add(self, ctxt: RequestContext, msg: FdbAdd) -> None:
        self.fdb.add((msg.network_id, msg.tunnel_ip, msg.mac))

    @handles(FdbRemove)
    async def fdb_remove(self, ctxt: RequestContext, msg: FdbRemove) -> None:
        self.fdb.discard((msg.network_id, msg.tunnel_ip, msg.mac))

    async def device_up(self, port_id: str) -> None:
        """Report a port's device up now, whatever the delay (to drive a slow agent)."""
        ctxt = RequestContext.admin()
        device = tap_name(port_id)
        found = _details(await self.plugin.call(ctxt, GetDeviceDetails(device, self.host)))
        self.devices[device] = found
        await self.plugin.call(ctxt, UpdateDeviceUp(device=device, host=self.host))

    async def _wire(self, port_id: str) -> None:
        ctxt = RequestContext.admin()
        device = tap_name(port_id)
        try:
            raw = await self.plugin.call(ctxt, GetDeviceDetails(device=device, host=self.host))
            found = _details(raw)
            if not found.port_id:
                return
            if not found.admin_state_up:
                self.devices.pop(device, None)
                await self.plugin.call(ctxt, UpdateDeviceDown(device=device, host=self.host))
                return
            # The time a real agent spends making the tap and its filter rules.
            await asyncio.sleep(self.device_delay)
            self.devices[device] = found
            await self.plugin.call(ctxt, UpdateDeviceUp(device=device, host=self.host))
        except Exception:
            LOG.exception("fake L2 agent on %s could not wire port %s", self.host, port_id)


def _details(raw: object) -> DeviceDetails:
    assert isinstance(raw, dict)
    known = {f.name for f in dataclasses.fields(DeviceDetails)}
    return DeviceDetails(**{k: v for k, v in raw.items() if k in known})
