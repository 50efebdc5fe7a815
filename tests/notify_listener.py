#!/usr/bin/python3
"""A recording org.freedesktop.Notifications server for tests/snitch-notify.bats.

Usage: notify_listener.py RECORD_FILE   (bus from DBUS_SESSION_BUS_ADDRESS)
Appends one JSON line per Notify call: app, summary, body, urgency. Prints
"listening" once it owns the name, so tests can wait for it.
"""
import json
import sys

import dbus
import dbus.service
from dbus.mainloop.glib import DBusGMainLoop
from gi.repository import GLib

NAME = "org.freedesktop.Notifications"


class Server(dbus.service.Object):
    def __init__(self, bus, record):
        self.record = record
        self.next_id = 1
        super().__init__(bus, "/org/freedesktop/Notifications")

    @dbus.service.method(NAME, in_signature="susssasa{sv}i", out_signature="u")
    def Notify(self, app, replaces, icon, summary, body, actions, hints, timeout):
        entry = {"app": str(app), "summary": str(summary), "body": str(body),
                 "urgency": int(hints["urgency"]) if "urgency" in hints else None}
        with open(self.record, "a", encoding="utf-8") as f:
            f.write(json.dumps(entry) + "\n")
        self.next_id += 1
        return self.next_id - 1

    @dbus.service.method(NAME, in_signature="", out_signature="as")
    def GetCapabilities(self):
        return ["body", "body-markup"]

    @dbus.service.method(NAME, in_signature="", out_signature="ssss")
    def GetServerInformation(self):
        return ["notify_listener", "snitch-tests", "1", "1.2"]

    @dbus.service.method(NAME, in_signature="u", out_signature="")
    def CloseNotification(self, nid):
        pass


def main():
    DBusGMainLoop(set_as_default=True)
    bus = dbus.SessionBus()
    name = dbus.service.BusName(NAME, bus, do_not_queue=True)
    Server(bus, sys.argv[1])
    print("listening", flush=True)
    loop = GLib.MainLoop()
    bus.call_on_disconnection(lambda _conn: loop.quit())
    loop.run()
    del name


if __name__ == "__main__":
    main()
