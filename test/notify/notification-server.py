#!/usr/bin/python3
"""A minimal org.freedesktop.Notifications service for tests: a headless machine has no
notification daemon, so this one stands in for it on a private session bus. It answers
Notify like a daemon does and prints each call as one JSON line on stdout."""
import json, sys
import dbus, dbus.service, dbus.mainloop.glib
from gi.repository import GLib

class Server(dbus.service.Object):
    next_id = 1

    @dbus.service.method('org.freedesktop.Notifications', in_signature='susssasa{sv}i', out_signature='u')
    def Notify(self, app, replaces, icon, summary, body, actions, hints, timeout):
        hints_out = {str(k): (int(v) if isinstance(v, (dbus.Byte, dbus.Int32, dbus.UInt32)) else str(v)) for k, v in hints.items()}
        print(json.dumps({'app': str(app), 'icon': str(icon), 'summary': str(summary), 'body': str(body), 'hints': hints_out, 'timeout': int(timeout)}), flush=True)
        Server.next_id += 1
        return Server.next_id - 1

    @dbus.service.method('org.freedesktop.Notifications', out_signature='as')
    def GetCapabilities(self):
        return ['body', 'body-markup']

    @dbus.service.method('org.freedesktop.Notifications', out_signature='ssss')
    def GetServerInformation(self):
        return ('posture-test', 'posture', '1', '1.2')

dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
bus = dbus.bus.BusConnection(sys.argv[1])
name = dbus.service.BusName('org.freedesktop.Notifications', bus)
Server(bus, '/org/freedesktop/Notifications')
print('READY', flush=True)
GLib.MainLoop().run()
