export * from './errors.ts'
export * from './number-settings.ts'
export * from './phone.ts'
export * from './schedule.ts'
