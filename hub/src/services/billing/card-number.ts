/**
 * Spots a payment card number (PAN) in a request body, so it can be refused before anything
 * parses, stores or logs it. A PAN is 13 to 19 digits passing the Luhn check, often written in
 * groups separated by spaces or dashes. We look at every run of digit groups and at each
 * contiguous slice of whole groups in it (so "4242 4242 4242 4242 12/30" is caught), but never
 * cut a group of digits in two, which keeps false positives on ordinary numbers rare.
 */
export function luhnValid(digits: string): boolean {
  let sum = 0
  let double = false
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48
    if (double) {
      d *= 2
      if (d > 9) d -= 9
    }
    sum += d
    double = !double
  }
  return sum % 10 === 0
}

const looksLikePan = (digits: string) => digits.length >= 13 && digits.length <= 19 && luhnValid(digits)

export function containsCardNumber(text: string): boolean {
  for (const run of text.matchAll(/\d+(?:[ -]\d+)*/g)) {
    const groups = run[0].split(/[ -]/)
    for (let i = 0; i < groups.length; i++) {
      let digits = ''
      for (let j = i; j < groups.length && digits.length <= 19; j++) {
        digits += groups[j]
        if (looksLikePan(digits)) return true
      }
    }
  }
  return false
}
