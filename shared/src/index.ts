export * from './errors.ts'
export * from './phone.ts'
