export * from './errors.ts'
export * from './phone.ts'
export * from './schedule.ts'
