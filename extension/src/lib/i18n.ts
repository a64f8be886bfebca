/**
 * The extension's words in English and French, picked from the browser's language
 * (`navigator.language`): French for any `fr-*`, English otherwise.
 */
const en = {
  appName: 'Switchboard',
  hubUrl: 'Hub URL',
  email: 'Email',
  password: 'Password',
  orToken: 'Or paste an agent token',
  agentToken: 'Agent token',
  signIn: 'Sign in',
  signOut: 'Sign out',
  signingIn: 'Signing in…',
  signedInAs: 'Signed in as {name}',
  signedOut: 'Not signed in: open the extension options to sign in.',
  openOptions: 'Open options',
  connection: 'Connection',
  connecting: 'Connecting to the hub…',
  online: 'Connected',
  offline: 'Disconnected: reconnecting…',
  status: 'Status',
  available: 'Available',
  auto: 'Working hours',
  unavailable: 'Unavailable',
  doNotDisturb: 'Do not disturb',
  reason: 'Reason',
  setStatus: 'Set status',
  idle: 'No call',
  ringing: 'Ringing',
  inCall: 'In call',
  afterCallWork: 'Wrap-up',
  pendingTag: 'Tag required',
  incomingCall: 'Incoming call',
  outgoingCall: 'Outgoing call',
  callEnded: 'Call ended',
  caller: 'Caller',
  callee: 'Number called',
  numberCalled: 'Line',
  team: 'Team',
  ivrPath: 'IVR path',
  answer: 'Answer',
  decline: 'Decline',
  hangUp: 'Hang up',
  tags: 'Tags',
  saveTags: 'Save tags',
  tagsSaved: 'Tags saved',
  tagBeforeNext: 'Tag this call before taking the next one.',
  dialRequesting: 'Calling {to}…',
  dialPlaced: 'Calling {to}: answer on your device',
  dialFailed: 'Could not call {to}: {message}',
  outboundRinging: 'Your device rings: answer to call {to}',
} as const

export type MessageKey = keyof typeof en

const fr: Record<MessageKey, string> = {
  appName: 'Switchboard',
  hubUrl: 'URL du hub',
  email: 'E-mail',
  password: 'Mot de passe',
  orToken: 'Ou collez un jeton d’agent',
  agentToken: 'Jeton d’agent',
  signIn: 'Se connecter',
  signOut: 'Se déconnecter',
  signingIn: 'Connexion…',
  signedInAs: 'Connecté en tant que {name}',
  signedOut: 'Non connecté : ouvrez les options de l’extension pour vous connecter.',
  openOptions: 'Ouvrir les options',
  connection: 'Connexion',
  connecting: 'Connexion au hub…',
  online: 'Connecté',
  offline: 'Déconnecté : reconnexion…',
  status: 'Statut',
  available: 'Disponible',
  auto: 'Horaires de travail',
  unavailable: 'Indisponible',
  doNotDisturb: 'Ne pas déranger',
  reason: 'Raison',
  setStatus: 'Changer de statut',
  idle: 'Aucun appel',
  ringing: 'Sonnerie',
  inCall: 'En appel',
  afterCallWork: 'Post-appel',
  pendingTag: 'Tag obligatoire',
  incomingCall: 'Appel entrant',
  outgoingCall: 'Appel sortant',
  callEnded: 'Appel terminé',
  caller: 'Appelant',
  callee: 'Numéro appelé',
  numberCalled: 'Ligne',
  team: 'Équipe',
  ivrPath: 'Parcours SVI',
  answer: 'Répondre',
  decline: 'Refuser',
  hangUp: 'Raccrocher',
  tags: 'Tags',
  saveTags: 'Enregistrer les tags',
  tagsSaved: 'Tags enregistrés',
  tagBeforeNext: 'Taguez cet appel avant de prendre le suivant.',
  dialRequesting: 'Appel de {to}…',
  dialPlaced: 'Appel de {to} : décrochez sur votre appareil',
  dialFailed: 'Impossible d’appeler {to} : {message}',
  outboundRinging: 'Votre appareil sonne : décrochez pour appeler {to}',
}

export type Language = 'en' | 'fr'

export function languageOf(browserLanguage: string | undefined): Language {
  return browserLanguage?.toLowerCase().startsWith('fr') ? 'fr' : 'en'
}

export function createTranslator(language: Language) {
  const words: Record<MessageKey, string> = language === 'fr' ? fr : en
  return (key: MessageKey, values: Record<string, string> = {}) =>
    words[key].replace(/\{(\w+)\}/g, (_, name: string) => values[name] ?? '')
}

export const t = createTranslator(languageOf(globalThis.navigator?.language))
