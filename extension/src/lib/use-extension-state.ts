import {
  EXTENSION_STATE_KEY,
  type ExtensionState,
  extensionStateSchema,
  initialExtensionState,
} from '@switchboard/shared/extension-messages'
import { useEffect, useState } from 'react'
import browser from 'webextension-polyfill'

/** The background's state (`storage.session`), re-rendered at each change it writes. */
export function useExtensionState(): ExtensionState {
  const [state, setState] = useState<ExtensionState>(initialExtensionState)
  useEffect(() => {
    const accept = (value: unknown) => {
      const parsed = extensionStateSchema.safeParse(value)
      setState(parsed.success ? parsed.data : initialExtensionState)
    }
    void browser.storage.session.get(EXTENSION_STATE_KEY).then((v) => accept(v[EXTENSION_STATE_KEY]))
    const listener = (changes: Record<string, browser.Storage.StorageChange>, area: string) => {
      if (area === 'session' && EXTENSION_STATE_KEY in changes) accept(changes[EXTENSION_STATE_KEY]?.newValue)
    }
    browser.storage.onChanged.addListener(listener)
    return () => browser.storage.onChanged.removeListener(listener)
  }, [])
  return state
}
