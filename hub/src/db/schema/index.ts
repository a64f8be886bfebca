export * from './companies.ts'
export * from './delivery.ts'
export * from './directory.ts'
export * from './identity.ts'
