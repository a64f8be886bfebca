import { boot, ensureConnected, listenToNotifications } from './controller.ts'

// A stopped worker loses its socket; this alarm wakes it every minute to reconnect (the hub
// may also have been down when the browser started). While the socket is open, its 20 s
// pings keep the worker alive.
const RECONNECT_ALARM = 'switchboard.reconnect'
chrome.alarms.create(RECONNECT_ALARM, { periodInMinutes: 1 })
chrome.alarms.onAlarm.addListener((alarm) => {
  if (alarm.name === RECONNECT_ALARM) void ensureConnected()
})

// The toolbar button opens the side panel.
void chrome.sidePanel?.setPanelBehavior({ openPanelOnActionClick: true })

listenToNotifications()
void boot()
