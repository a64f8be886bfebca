import { describe, expect, it } from 'vitest'
import { cleanFilename, detectDocumentType } from './document-content.ts'

const bytes = (...b: number[]) => new Uint8Array(b)

describe('detectDocumentType', () => {
  it.each([
    [[...Buffer.from('%PDF-1.4\n%âãÏÓ')], 'application/pdf', 'pdf'],
    [[0xff, 0xd8, 0xff, 0xe1, 0x00, 0x10], 'image/jpeg', 'jpg'],
    [[0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00], 'image/png', 'png'],
  ])('recognises %j', (head, type, ext) => {
    expect(detectDocumentType(bytes(...head))).toEqual({ type, ext })
  })

  it.each([
    ['a Windows executable', [0x4d, 0x5a, 0x90, 0x00]],
    ['a ZIP (docx)', [0x50, 0x4b, 0x03, 0x04]],
    ['a PDF header not at the start', [0x20, ...Buffer.from('%PDF-1.7')]],
    ['"%PDF" without the dash', [...Buffer.from('%PDF1.7')]],
    ['a PNG signature mangled by a text transfer', [0x89, 0x50, 0x4e, 0x47, 0x0a, 0x1a, 0x0a, 0x00]],
    ['a truncated JPEG marker', [0xff, 0xd8]],
    ['an empty file', []],
  ])('refuses %s', (_, head) => {
    expect(detectDocumentType(bytes(...head))).toBeNull()
  })
})

describe('cleanFilename', () => {
  it('keeps the last path segment without control characters', () => {
    expect(cleanFilename('C:\\Users\\me\\scan.pdf', 'x')).toBe('scan.pdf')
    expect(cleanFilename('../../etc/passwd', 'x')).toBe('passwd')
    expect(cleanFilename('bill\r\n.pdf', 'x')).toBe('bill.pdf')
    expect(cleanFilename('a'.repeat(300), 'x')).toHaveLength(200)
  })

  it('falls back when nothing usable is left', () => {
    expect(cleanFilename('', 'identity.pdf')).toBe('identity.pdf')
    expect(cleanFilename('dir/..', 'identity.pdf')).toBe('identity.pdf')
    expect(cleanFilename('\u0000', 'address.png')).toBe('address.png')
  })
})
